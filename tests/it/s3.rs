//! S3 (cookbook 1.12's bucket, object and policy): a bucket named from a prefix, public access
//! blocked, its `index.html` read from a file, a policy written as YAML; checked with the SDK,
//! changed in place, and torn down, a bucket holding objects only with `force_destroy`.

use crate::support::{Stack, destroy_leaves_nothing, s3, stderr};

/// A bucket named from a prefix, its `index.html` (from a file of that name next to the
/// documents) and a policy for CloudFront.
pub const DOCS: &str = r#"stack: STACK
region: us-east-1
resources:
  site:
    kind: s3.bucket
    name_prefix: awscookbook213-
    tags: {Name: site}
  index:
    kind: s3.object
    bucket: site
    key: index.html
    content: {file: index.html}
  policy:
    kind: s3.bucket_policy
    bucket: site
    policy:
      Version: "2012-10-17"
      Statement:
        - Sid: ReadForCloudFront
          Effect: Allow
          Principal: {Service: cloudfront.amazonaws.com}
          Action: s3:GetObject
          Resource: "${site.arn}/*"
"#;

async fn content(c: &aws_sdk_s3::Client, bucket: &str, key: &str) -> String {
    let out = c
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .expect("the object");
    let bytes = out.body.collect().await.expect("its body").into_bytes();
    String::from_utf8(bytes.to_vec()).expect("text")
}

#[tokio::test]
async fn cookbook_1_12_bucket_object_and_policy() {
    let s = Stack::new("s3", "");
    std::fs::write(s.path().join("index.html"), "AWSCookbook").expect("write index.html");
    s.write(DOCS);
    s.apply_clean();
    let c = s3().await;
    let bucket = s.id_of("site");
    assert!(bucket.starts_with("awscookbook213-"), "{bucket}");
    assert_eq!(bucket.len(), "awscookbook213-".len() + 8);

    // Public access blocked, as the document leaves it.
    let block = c
        .get_public_access_block()
        .bucket(&bucket)
        .send()
        .await
        .expect("the public access block");
    let block = block
        .public_access_block_configuration()
        .expect("a configuration");
    assert_eq!(block.block_public_acls(), Some(true));
    assert_eq!(block.restrict_public_buckets(), Some(true));
    let tags = c
        .get_bucket_tagging()
        .bucket(&bucket)
        .send()
        .await
        .expect("tags");
    assert!(
        tags.tag_set()
            .iter()
            .any(|t| t.key() == "Name" && t.value() == "site")
    );

    // The object holds the file's text, typed by its extension.
    assert_eq!(content(&c, &bucket, "index.html").await, "AWSCookbook");
    let head = c
        .head_object()
        .bucket(&bucket)
        .key("index.html")
        .send()
        .await
        .expect("the object");
    assert_eq!(head.content_type(), Some("text/html"));

    // The policy, with the bucket's ARN filled in, compared as a document.
    let policy = c
        .get_bucket_policy()
        .bucket(&bucket)
        .send()
        .await
        .expect("the policy");
    let policy: serde_json::Value =
        serde_json::from_str(policy.policy().unwrap_or_default()).expect("JSON");
    assert_eq!(
        policy["Statement"][0]["Resource"],
        serde_json::json!(format!("arn:aws:s3:::{bucket}/*"))
    );

    // In place: versioning on, the file changed (uploaded again), a cache control set.
    std::fs::write(s.path().join("index.html"), "AWSCookbook, again").expect("write");
    s.edit(|d| {
        d.replace(
            "    tags: {Name: site}\n",
            "    tags: {Name: site}\n    versioning: true\n",
        )
        .replace(
            "    content: {file: index.html}\n",
            "    content: {file: index.html}\n    cache_control: max-age=300\n",
        )
    });
    let plan = s.plan_text();
    assert!(plan.contains("will be updated in place"), "{plan}");
    assert!(!plan.contains("must be replaced"), "{plan}");
    s.apply_clean();
    assert_eq!(s.id_of("site"), bucket, "updated, not replaced");
    let versioning = c
        .get_bucket_versioning()
        .bucket(&bucket)
        .send()
        .await
        .expect("versioning");
    assert_eq!(versioning.status().map(|s| s.as_str()), Some("Enabled"));
    assert_eq!(
        content(&c, &bucket, "index.html").await,
        "AWSCookbook, again"
    );

    // An object strata did not put there: the destroy stops and says how many the bucket
    // holds, until `force_destroy` is applied.
    c.put_object()
        .bucket(&bucket)
        .key("stray.txt")
        .body(aws_sdk_s3::primitives::ByteStream::from_static(b"stray"))
        .send()
        .await
        .expect("put an object by hand");
    let out = s.run(&["destroy", "--auto-approve"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("object version"), "{err}");
    assert!(err.contains("force_destroy: true"), "{err}");
    s.edit(|d| {
        d.replace(
            "    tags: {Name: site}\n",
            "    tags: {Name: site}\n    force_destroy: true\n",
        )
    });
    s.apply_clean();
    destroy_leaves_nothing(&s).await;
    let gone = c.head_bucket().bucket(&bucket).send().await;
    assert!(gone.is_err(), "the bucket is gone");
}

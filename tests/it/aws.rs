//! Unit tests of strata-aws that need no emulator (they live here to share the SDK link).

use strata_aws::error::class_of;
use strata_engine::provider::ErrorClass;

#[test]
fn aws_error_codes_are_classified() {
    assert_eq!(class_of("InvalidVpcID.NotFound"), ErrorClass::NotFound);
    assert_eq!(class_of("InvalidSubnetID.NotFound"), ErrorClass::NotFound);
    assert_eq!(
        class_of("DependencyViolation"),
        ErrorClass::DependencyViolation
    );
    assert_eq!(class_of("UnauthorizedOperation"), ErrorClass::AccessDenied);
    assert_eq!(class_of("InvalidSubnet.Conflict"), ErrorClass::Invalid);
    assert_eq!(class_of("VpcLimitExceeded"), ErrorClass::Invalid);
    assert_eq!(class_of("RequestLimitExceeded"), ErrorClass::Transient);
}

#[test]
fn every_document_kind_has_an_aws_implementation() {
    for k in strata_model::kinds::all() {
        assert!(
            strata_aws::kinds::find(k.name).is_some(),
            "kind {} has no module in strata-aws",
            k.name
        );
    }
    assert_eq!(
        strata_aws::kinds::KINDS.len(),
        strata_model::kinds::all().len()
    );
}

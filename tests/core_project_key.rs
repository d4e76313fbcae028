//! The rule that names a folder after the project directory (Claude Code's `projects/<key>`) is
//! profile data: another agent can describe its own, and a bad rule is refused naming the field.

use resilient_coding_agent::conversation::{check_project_key, project_key};
use resilient_coding_agent::profiles::ProjectKeyData;

fn rule(json: &str) -> ProjectKeyData {
    serde_json::from_str(json).unwrap()
}

const LOWER: &str = r#"{ "keep": "a-z.", "replace": "_", "max_len": 12, "cut_suffix": "java_hash_base36",
  "override_env": "X_DIR_NAME", "config_env": "X_HOME", "override_chars": "a-z", "override_max_len": 8 }"#;

#[test]
fn a_made_up_rule_keeps_its_characters_and_cuts_at_its_length() {
    let r = rule(LOWER);
    assert_eq!(check_project_key(&r), Ok(()));
    assert_eq!(project_key("/src/App.rs", &r), "_src__pp.rs");
    // Longer than 12: cut, then `_` and the hash of the whole directory.
    let a = project_key("/src/a-long-project-one", &r);
    let b = project_key("/src/a-long-project-two", &r);
    assert!(a.starts_with("_src_a_long__") && b.starts_with("_src_a_long__"), "{a} {b}");
    assert_ne!(a, b, "the hash tells cut keys apart");
}

#[test]
fn bad_rules_name_the_field() {
    for (from, to, field) in [
        ("\"a-z.\"", "\"z-a\"", "keep"),
        ("\"a-z.\"", "\"a/z\"", "keep"),
        ("\"_\"", "\"/\"", "replace"),
        ("\"_\"", "\"__\"", "replace"),
        ("\"max_len\": 12", "\"max_len\": 0", "max_len"),
        ("\"X_HOME\"", "\"X HOME\"", "config_env"),
        ("\"override_chars\": \"a-z\"", "\"override_chars\": \"\"", "override_chars"),
    ] {
        let json = LOWER.replace(from, to);
        assert_ne!(json, LOWER);
        let (f, why) = check_project_key(&rule(&json)).unwrap_err();
        assert_eq!(f, field, "{why}");
    }
}

//! The event selector, field paths and text templates that agent profiles describe their
//! JSONL streams with (src/events.rs).
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use resilient_coding_agent::events::{event, EventMatch, FieldPath, Template};
use std::collections::BTreeMap;

fn selector(json: &str) -> Result<EventMatch, (String, String)> {
    let data: BTreeMap<String, serde_json::Value> = serde_json::from_str(json).unwrap();
    EventMatch::parse(&data)
}

#[test]
fn a_selector_matches_nested_fields_lists_scalars_and_presence() {
    let line = r#"{"type":"message_end","message":{"role":"assistant","stopReason":"error"},"n":3,"ok":false,"gone":null}"#;
    let ev = event(line).unwrap();
    assert!(selector(r#"{"type":"message_end","message.role":"assistant"}"#).unwrap().matches(&ev));
    assert!(selector(r#"{"message.stopReason":["stop","error"]}"#).unwrap().matches(&ev));
    assert!(selector(r#"{"n":3,"ok":false}"#).unwrap().matches(&ev));
    assert!(selector(r#"{"gone":{"present":false},"type":{"present":true}}"#).unwrap().matches(&ev));
    assert!(!selector(r#"{"message.role":"user"}"#).unwrap().matches(&ev));
    assert!(!selector(r#"{"ok":"false"}"#).unwrap().matches(&ev), "a string is not the boolean");
    assert!(!selector(r#"{"missing":{"present":true}}"#).unwrap().matches(&ev));
    // The same value written another way: escapes, another spelling of a number.
    let odd = event(r#"{"type":"turn\u002ecompleted","code":429.0,"q":"say \"hi\""}"#).unwrap();
    assert!(selector(r#"{"type":"turn.completed","code":429}"#).unwrap().matches(&odd));
    assert!(selector(r#"{"q":"say \"hi\""}"#).unwrap().matches(&odd));
    assert!(!selector(r#"{"type":"turn.complete"}"#).unwrap().matches(&odd));
    // A line cut off mid-write still shows the fields before the damage.
    let cut = event(r#"{"type":"turn.failed","error":{"message":"boom"},"extra":"unfinish"#).unwrap();
    assert!(selector(r#"{"type":"turn.failed"}"#).unwrap().matches(&cut));
}

#[test]
fn bad_selectors_name_the_field() {
    assert!(selector("{}").unwrap_err().1.contains("empty selector"));
    let (field, why) = selector(r#"{"type":{"equals":"x"}}"#).unwrap_err();
    assert_eq!(field, "type");
    assert!(why.starts_with("expected a string"), "{why}");
    let (field, why) = selector(r#"{"a..b":"x"}"#).unwrap_err();
    assert_eq!(field, "a..b");
    assert!(why.contains("not a field path"), "{why}");
    assert!(selector(r#"{"type":[]}"#).is_err());
    assert!(selector(r#"{"type":[{"a":1}]}"#).is_err());
}

#[test]
fn paths_read_text_numbers_and_arrays() {
    let line = r#"{"errors":["first","second"],"message":{"content":[{"type":"text","text":"Invalid key"},{"type":"image"}]},"error":{"data":{"statusCode":429,"h":{"retry-after":"5"}}}}"#;
    let ev = event(line).unwrap();
    assert_eq!(FieldPath::parse("errors").unwrap().text(&ev).as_deref(), Some("first; second"));
    assert_eq!(FieldPath::parse("message.content.text").unwrap().text(&ev).as_deref(), Some("Invalid key"));
    assert_eq!(FieldPath::parse("error.data.statusCode").unwrap().number(&ev), Some(429.0));
    assert_eq!(FieldPath::parse("error.data.h").unwrap().raw(&ev), Some(r#"{"retry-after":"5"}"#));
    assert_eq!(FieldPath::parse("error.data.h").unwrap().text(&ev), None, "an object is no text");
    assert_eq!(FieldPath::parse("nope.deeper").unwrap().text(&ev), None);
}

#[test]
fn templates_fill_fields_use_defaults_and_skip_when_a_field_is_missing() {
    let ev = event(r#"{"name":"APIError","attempt":2,"blank":"  "}"#).unwrap();
    let t = |s: &str| Template::parse(s).unwrap();
    assert_eq!(t("{name}: try {attempt}/{max|?}").render(&ev).as_deref(), Some("APIError: try 2/?"));
    assert_eq!(t("{name}: {message}").render(&ev), None);
    assert_eq!(t("{blank}").render(&ev), None, "blank is missing");
    assert_eq!(t("{{literal}} {name}").render(&ev).as_deref(), Some("{literal} APIError"));
    let list = [t("{message}"), t("{name} failed"), t("fallback")];
    assert_eq!(Template::first(&list, &ev).as_deref(), Some("APIError failed"));
    assert!(Template::parse("{unclosed").is_err());
    assert!(Template::parse("a } b").is_err());
    assert!(Template::parse("").is_err());
    assert!(Template::parse("{a.}").is_err());
}

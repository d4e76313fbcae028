//! The wasm boundary: the only module with `#[wasm_bindgen]`.
//!
//! Plain objects cross in both directions through serde-wasm-bindgen; their TypeScript shapes
//! are written out below (`typescript_custom_section`) so the generated `.d.ts` is typed rather
//! than `any`. Every error reaches JS as a real `Error` whose `name` is `"CoreError"` and whose
//! `code` is the stable code of [`CoreError`]. JS names are camelCase.

use crate::error::CoreError;
use crate::validate;
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;

type JsResult<T> = Result<T, JsValue>;

/// Turns a [`CoreError`] into `Error { name: "CoreError", code, message }`.
fn to_js_error(err: CoreError) -> JsValue {
    let js = js_sys::Error::new(&err.to_string());
    js.set_name("CoreError");
    // Setting a property on a fresh Error object cannot fail; ignore the Result deliberately.
    let _ = js_sys::Reflect::set(&js, &JsValue::from_str("code"), &JsValue::from_str(err.code()));
    js.into()
}

/// Reads a plain JS object into a Rust value; a wrong shape is an `invalid_input` error.
#[allow(dead_code)]
fn from_js<T: DeserializeOwned>(value: JsValue, what: &str) -> JsResult<T> {
    serde_wasm_bindgen::from_value(value)
        .map_err(|e| to_js_error(CoreError::InvalidInput(format!("{what}: {e}"))))
}

/// Writes a Rust value as a plain JS object (maps as objects, `None` as `null`).
#[allow(dead_code)]
fn to_js<T: Serialize>(value: &T) -> JsResult<JsValue> {
    let ser = serde_wasm_bindgen::Serializer::new()
        .serialize_maps_as_objects(true)
        .serialize_missing_as_null(true);
    value
        .serialize(&ser)
        .map_err(|e| to_js_error(CoreError::InvalidInput(format!("cannot return value: {e}"))))
}

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** Stable error codes of CoreError (see the README's error table). */
export type CoreErrorCode =
  | "invalid_task_name" | "invalid_agent" | "invalid_project_dir" | "invalid_option"
  | "invalid_autonomy" | "invalid_prompt" | "invalid_session_id" | "invalid_session"
  | "invalid_record" | "invalid_config" | "invalid_input";
"#;

/// Checks a task name (`^[a-z0-9]+(-[a-z0-9]+)*$`, at most 48 characters).
/// Throws a `CoreError` with code `invalid_task_name` when it does not match.
#[wasm_bindgen(js_name = validateTaskName)]
pub fn validate_task_name(name: &str) -> JsResult<()> {
    validate::validate_task_name(name).map_err(to_js_error)
}

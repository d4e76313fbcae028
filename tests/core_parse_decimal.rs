//! `validate::parse_decimal`, the small number parser used for agent output (status codes in
//! JSON events, reset-hint durations) instead of `str::parse::<f64>`.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use resilient_coding_agent::validate::parse_decimal;

#[test]
fn exact_for_the_numbers_agents_print() {
    for s in [
        "0", "-0", "1", "429", "529", "-1", "+5", "20", "20.5", "1.5", "0.25", "3.75", "90.0", "5.", ".5",
        "1e3", "4.29e2", "1E-3", "2.5e+1", "123456789012345", "9007199254740991", "0.1", "0.3",
        "12.345678901234", "1e22", "1e-22", "0000123", "00.000",
    ] {
        assert_eq!(parse_decimal(s), s.parse::<f64>().ok(), "{s}");
    }
}

#[test]
fn rejects_what_is_not_a_plain_decimal() {
    for s in ["", "-", "+", ".", "e3", "1e", "1e+", "1.2.3", "12a", " 1", "1 ", "inf", "NaN", "0x10", "--1", "1..2"] {
        assert_eq!(parse_decimal(s), None, "{s:?}");
    }
}

#[test]
fn close_for_long_inputs_and_never_nan() {
    for s in [
        "3.14159265358979323846264338327950288",
        "123456789012345678901234567890",
        "0.000000000000000000000000000123456",
        "98765.4321e-30",
        "1.5e300",
    ] {
        let (ours, std) = (parse_decimal(s).unwrap(), s.parse::<f64>().unwrap());
        assert!(((ours - std) / std).abs() < 1e-14, "{s}: {ours} vs {std}");
    }
    let long = "9".repeat(5000);
    assert_eq!(parse_decimal(&long), Some(f64::INFINITY));
    let zeros = "0".repeat(5000);
    assert_eq!(parse_decimal(&zeros), Some(0.0));
    assert_eq!(parse_decimal(&format!("0.{}1", "0".repeat(5000))), Some(0.0));
    assert_eq!(parse_decimal("1e999999999999"), Some(f64::INFINITY));
    assert_eq!(parse_decimal("1e-999999999999"), Some(0.0));
}

//! `validate::Num`, the float formatting used in messages instead of `f64`'s `Display`.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use resilient_coding_agent::validate::Num;

#[test]
fn whole_numbers_and_specials_read_as_display_writes_them() {
    for x in [
        0.0, -0.0, 1.0, -5.0, 60.0, 180_000.0, 3_600_000.0, 31_536_000_000.0, 1_763_900_000_000.0,
        9_007_199_254_740_991.0, -1_000_000_000_000.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY,
        1.5, 0.25, -2.75, 1234.5, 0.1, 0.000001, 4.2,
    ] {
        assert_eq!(Num(x).to_string(), x.to_string(), "{x}");
    }
}

#[test]
fn other_values_are_short_and_readable() {
    assert_eq!(Num(1.0 / 3.0).to_string(), "0.333333");
    assert_eq!(Num(0.0000001).to_string(), "0");
    assert_eq!(Num(1.9999999).to_string(), "2");
    assert_eq!(Num(1e300).to_string(), "100000000000000e286");
    assert_eq!(Num(-f64::MAX).to_string(), "-179769313486232e294");
}

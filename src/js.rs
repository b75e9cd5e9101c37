//! JavaScript value semantics that the evaluator needs to give the same answers as Split's JS SDK
//! (spec §0 "JS-isms", §4.2, §5.2), over `serde_json::Value`.
//!
//! JSON numbers are JS doubles, so they are always taken as `f64`. Everything here follows the
//! ECMAScript abstract operations exactly:
//! * [`is_js_whitespace`] / [`trim`]: `String.prototype.trim` (WhiteSpace + LineTerminator; unlike
//!   Rust's `str::trim`, it strips U+FEFF and keeps U+0085);
//! * [`utf16_len`]: JS `.length`;
//! * [`number_to_string`]: `Number::toString` (`ToString` of a number);
//! * [`string_to_number`]: `StringToNumber` (`Number(string)`);
//! * [`to_number`] / [`to_js_string`]: `Number(v)` and `String(v)` for JSON values.
//!
//! Split's own sanitizers (§4.2 STRING/SET/BOOLEAN rules) are built on these elsewhere.
//! No function here panics.

use serde_json::Value;

/// Whether `c` is ECMAScript WhiteSpace or LineTerminator: U+0009 TAB, U+000A LF, U+000B VT,
/// U+000C FF, U+000D CR, U+0020 SPACE, U+00A0 NBSP, U+1680, U+2000–U+200A, U+2028 LS, U+2029 PS,
/// U+202F, U+205F, U+3000, U+FEFF ZWNBSP. Not U+0085 (NEL), U+180E or U+200B.
///
/// This is the set `String.prototype.trim`, `Number(string)` and regex `\s` use.
#[must_use]
#[inline]
pub fn is_js_whitespace(c: char) -> bool {
    matches!(
        c,
        '\u{0009}'..='\u{000D}'
            | '\u{0020}'
            | '\u{00A0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200A}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202F}'
            | '\u{205F}'
            | '\u{3000}'
            | '\u{FEFF}'
    )
}

/// JS `String.prototype.trim`: `s` without leading and trailing [`is_js_whitespace`] characters.
///
/// ```
/// assert_eq!(split_edge::js::trim("\u{feff}\u{a0} a b\n"), "a b");
/// assert_eq!(split_edge::js::trim("\u{85}a"), "\u{85}a");
/// ```
#[must_use]
#[inline]
pub fn trim(s: &str) -> &str {
    // Fast path: most inputs start and end with a visible ASCII character.
    let visible = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii() && !matches!(b, 0x09..=0x0d | 0x20));
    let bytes = s.as_bytes();
    if visible(bytes.first()) && visible(bytes.last()) {
        return s;
    }
    s.trim_matches(is_js_whitespace)
}

/// JS `s.length`: the number of UTF-16 code units of `s` (characters above U+FFFF count 2).
///
/// ```
/// assert_eq!(split_edge::js::utf16_len("a😀é"), 4);
/// ```
#[must_use]
pub fn utf16_len(s: &str) -> usize {
    // One unit per character start byte, plus one more per 4-byte sequence (a surrogate pair).
    let starts = s.bytes().filter(|&b| (b & 0xC0) != 0x80).count();
    let pairs = s.bytes().filter(|&b| b >= 0xF0).count();
    starts.saturating_add(pairs)
}

/// JS `Number::toString(n)` (what `String(n)` and `"" + n` give): the shortest round-tripping
/// digits, in decimal notation for exponents `-7 < e < 21` and otherwise as `d.ddde±x`.
///
/// ```
/// use split_edge::js::number_to_string;
/// assert_eq!(number_to_string(1e21), "1e+21");
/// assert_eq!(number_to_string(0.1 + 0.2), "0.30000000000000004");
/// assert_eq!(number_to_string(1e-7), "1e-7");
/// assert_eq!(number_to_string(-0.0), "0");
/// assert_eq!(number_to_string(f64::NAN), "NaN");
/// assert_eq!(number_to_string(f64::NEG_INFINITY), "-Infinity");
/// ```
#[must_use]
pub fn number_to_string(n: f64) -> String {
    let mut buf = ryu_js::Buffer::new();
    buf.format(n).to_owned()
}

/// javascript-commons' lang `toString` helper for a number: [`number_to_string`], except that
/// negative zero is `"-0"`. The SDK uses it for numeric keys and for string matchers' values.
///
/// ```
/// use split_edge::js::lang_number_to_string;
/// assert_eq!(lang_number_to_string(-0.0), "-0");
/// assert_eq!(lang_number_to_string(12.0), "12");
/// ```
#[must_use]
pub fn lang_number_to_string(n: f64) -> String {
    if n == 0.0 && n.is_sign_negative() {
        "-0".to_owned()
    } else {
        number_to_string(n)
    }
}

/// The value of an ASCII digit in `radix` (2, 8, 10 or 16), if it is one.
#[inline]
fn digit_value(b: u8, radix: u32) -> Option<u32> {
    char::from(b).to_digit(radix)
}

/// `StringToNumber` of a `0x`/`0o`/`0b` literal's digits (after the prefix): the nearest double
/// to the integer they spell (round half to even), `NaN` if there are none or one is not a digit
/// of the radix.
fn non_decimal_to_number(digits: &[u8], radix: u32, bits_per_digit: u32) -> f64 {
    if digits.is_empty() {
        return f64::NAN;
    }
    // Keep the top 64 significant bits in `acc`; count the bits that do not fit in `exp` and
    // remember in `sticky` whether any of them is 1.
    let mut acc: u64 = 0;
    let mut exp: u32 = 0;
    let mut sticky = false;
    for &b in digits {
        let Some(d) = digit_value(b, radix) else {
            return f64::NAN;
        };
        for i in (0..bits_per_digit).rev() {
            let bit = (d >> i) & 1;
            if acc >> 63 == 0 {
                acc = (acc << 1) | u64::from(bit);
            } else {
                exp = exp.saturating_add(1);
                sticky |= bit == 1;
            }
        }
    }
    if sticky {
        // `acc` is full (64 significant bits), so `as f64` drops its 11 low bits; a 1 there makes
        // the dropped part compare correctly against one half (it breaks ties upward and is
        // harmless otherwise), giving round-half-even of the whole value.
        acc |= 1;
    }
    // `u64 as f64` rounds to nearest, ties to even.
    let mut r = acc as f64;
    while exp > 0 && r.is_finite() {
        let step = exp.min(1000);
        // 2^step exactly (step <= 1000 < 1024, a normal power of two).
        r *= f64::from_bits(u64::from(step.wrapping_add(1023)) << 52);
        exp = exp.saturating_sub(step);
    }
    r
}

/// Whether `s` (no sign) is a `StrUnsignedDecimalLiteral` other than `Infinity`:
/// `digits [. digits]`, `. digits` or `digits .`, then an optional `e`/`E`, optional sign, digits.
fn is_unsigned_decimal_literal(s: &[u8]) -> bool {
    let int_len = digits_len(s);
    let mut rest = s.get(int_len..).unwrap_or_default();
    let mut frac_len = 0;
    if let Some((b'.', after)) = rest.split_first() {
        frac_len = digits_len(after);
        rest = after.get(frac_len..).unwrap_or_default();
    }
    if int_len == 0 && frac_len == 0 {
        return false;
    }
    if let Some((b'e' | b'E', after)) = rest.split_first() {
        let after = match after.split_first() {
            Some((b'+' | b'-', unsigned)) => unsigned,
            _ => after,
        };
        let exp_len = digits_len(after);
        if exp_len == 0 {
            return false;
        }
        rest = after.get(exp_len..).unwrap_or_default();
    }
    rest.is_empty()
}

/// How many ASCII digits `s` starts with.
fn digits_len(s: &[u8]) -> usize {
    s.iter().take_while(|b| b.is_ascii_digit()).count()
}

/// JS `Number(s)` for a string (`StringToNumber`):
/// * JS whitespace ([`is_js_whitespace`]) is trimmed; an empty or all-whitespace string is `0`;
/// * `0x`/`0X`, `0o`/`0O`, `0b`/`0B` integer literals (no sign allowed, no fraction), rounded to the
///   nearest double when large;
/// * `Infinity`, `+Infinity`, `-Infinity` (case-sensitive);
/// * decimal literals with an optional sign: `12`, `-0012`, `1.5`, `.5`, `5.`, `1e3`, `1E-3`, `+.5e+2`;
/// * anything else (`1_000`, `inf`, `nan`, `0x1p3`, `1e`, `.`, `+-1`, `12px`, `0x`, ...) is `NaN`.
///
/// ```
/// use split_edge::js::string_to_number;
/// assert_eq!(string_to_number(" 0x1A "), 26.0);
/// assert_eq!(string_to_number(""), 0.0);
/// assert!(string_to_number("1_000").is_nan());
/// ```
#[must_use]
pub fn string_to_number(s: &str) -> f64 {
    let t = trim(s).as_bytes();
    let (first, rest) = match t.split_first() {
        None => return 0.0,
        Some((&first, rest)) => (first, rest),
    };
    if first == b'0' {
        match rest.split_first() {
            Some((b'x' | b'X', digits)) => return non_decimal_to_number(digits, 16, 4),
            Some((b'o' | b'O', digits)) => return non_decimal_to_number(digits, 8, 3),
            Some((b'b' | b'B', digits)) => return non_decimal_to_number(digits, 2, 1),
            _ => {}
        }
    }
    let (negative, unsigned) = match first {
        b'-' => (true, rest),
        b'+' => (false, rest),
        _ => (false, t),
    };
    if unsigned == b"Infinity" {
        return if negative { f64::NEG_INFINITY } else { f64::INFINITY };
    }
    if !is_unsigned_decimal_literal(unsigned) {
        return f64::NAN;
    }
    let magnitude = decimal_literal_to_number(unsigned);
    if negative {
        -magnitude
    } else {
        magnitude
    }
}

/// The value of an unsigned decimal literal (`digits | digits '.' digits? | '.' digits`, then
/// `[eE] [+-]? digits`, any length), rounded to nearest, ties to even, as JS rounds it.
///
/// It is rewritten into JSON's number grammar (no leading zeros, a digit on both sides of the
/// point) and read by serde_json's correctly rounded parser (`float_roundtrip`), the one that
/// reads every JSON number here: the binary then carries one decimal-to-double conversion, not
/// also the standard library's (its tables are ≈ 10 KB of wasm). An exponent too large for a
/// double is Infinity, as in JS (serde_json reports it as out of range); too small, 0.
fn decimal_literal_to_number(literal: &[u8]) -> f64 {
    let int_len = digits_len(literal);
    let (int, rest) = literal.split_at(int_len.min(literal.len()));
    let int = match int.iter().position(|&b| b != b'0') {
        Some(first) => int.get(first..).unwrap_or_default(),
        None => b"0",
    };
    let mut json = Vec::with_capacity(literal.len().saturating_add(2));
    json.extend_from_slice(int);
    let mut rest = rest;
    if let Some((b'.', after)) = rest.split_first() {
        let frac_len = digits_len(after);
        let (frac, after_frac) = after.split_at(frac_len.min(after.len()));
        if !frac.is_empty() {
            json.push(b'.');
            json.extend_from_slice(frac);
        }
        rest = after_frac;
    }
    json.extend_from_slice(rest);
    let mantissa_nonzero = literal.iter().take_while(|b| !matches!(b, b'e' | b'E')).any(|b| matches!(b, b'1'..=b'9'));
    match std::str::from_utf8(&json).ok().map(serde_json::from_str::<f64>) {
        Some(Ok(n)) => n,
        // The only error left for a literal of this grammar: a magnitude past the largest double.
        Some(Err(_)) if mantissa_nonzero => f64::INFINITY,
        _ => 0.0,
    }
}

/// JS truthiness of a JSON value (`if (v)`): `null`, `false`, `0`, `NaN` and `""` are falsy;
/// arrays and objects are truthy.
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// JS `Number(v)` for a JSON value:
/// * number → itself (as `f64`);
/// * string → [`string_to_number`];
/// * `null` → `0`; `true` → `1`; `false` → `0`;
/// * array → `Number(String(array))` (see [`to_js_string`]): `[]` → 0, `["7"]` → 7, `[[5]]` → 5,
///   `[null]` → 0, `[1,2]` → NaN;
/// * object → `NaN`.
#[must_use]
pub fn to_number(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::String(s) => string_to_number(s),
        Value::Null => 0.0,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Array(_) => string_to_number(&to_js_string(v)),
        Value::Object(_) => f64::NAN,
    }
}

/// Appends JS `String(v)` to `out`.
fn push_js_string(out: &mut String, v: &Value) {
    match v {
        Value::Number(n) => out.push_str(&number_to_string(n.as_f64().unwrap_or(f64::NAN))),
        Value::String(s) => out.push_str(s),
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                // Array.prototype.join renders null (and undefined) elements as "".
                if !item.is_null() {
                    push_js_string(out, item);
                }
            }
        }
        Value::Object(_) => out.push_str("[object Object]"),
    }
}

/// JS `String(v)` for a JSON value:
/// * number → [`number_to_string`] (`-0` → `"0"`, `1e21` → `"1e+21"`);
/// * string → itself; `null` → `"null"`; booleans → `"true"` / `"false"`;
/// * array → its elements' strings joined by `,`, `null` elements as `""`, recursively
///   (`[1,[2,null],"a"]` → `"1,2,,a"`);
/// * object → `"[object Object]"`.
#[must_use]
pub fn to_js_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        _ => {
            let mut out = String::new();
            push_js_string(&mut out, v);
            out
        }
    }
}

/// JavaScript's `toUpperCase()` of `s` when the result is plain ASCII, `None` otherwise: enough
/// to compare a setting with ASCII keywords as JS does (`"optımızed"`, dotless ı, is `OPTIMIZED`)
/// without Unicode's case tables. Besides ASCII letters, exactly these characters upper-case to
/// ASCII: `ı` → `I`, `ſ` → `S`, `ß` → `SS` and the Latin ligatures U+FB00–U+FB06.
///
/// ```
/// use split_edge::js::to_ascii_upper_case;
/// assert_eq!(to_ascii_upper_case("optımızed").as_deref(), Some("OPTIMIZED"));
/// assert_eq!(to_ascii_upper_case("ﬁx ß").as_deref(), Some("FIX SS"));
/// assert_eq!(to_ascii_upper_case("débug"), None);
/// ```
#[must_use]
pub fn to_ascii_upper_case(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let mapped = match c {
            _ if c.is_ascii() => {
                out.push(c.to_ascii_uppercase());
                continue;
            }
            '\u{131}' => "I",
            '\u{17f}' => "S",
            '\u{df}' => "SS",
            '\u{fb00}' => "FF",
            '\u{fb01}' => "FI",
            '\u{fb02}' => "FL",
            '\u{fb03}' => "FFI",
            '\u{fb04}' => "FFL",
            '\u{fb05}' | '\u{fb06}' => "ST",
            _ => return None,
        };
        out.push_str(mapped);
    }
    Some(out)
}

/// String equality for the short names compared on hot paths (flag and attribute names): names of
/// one length often differ only at the end, so the last bytes are compared before the rest.
#[inline]
pub fn same_name(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.as_bytes().last() == b.as_bytes().last() && a == b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_name_is_string_equality() {
        for (a, b) in
            [("exp_01", "exp_01"), ("exp_01", "exp_02"), ("exp_01", "axp_01"), ("", ""), ("a", ""), ("é", "e")]
        {
            assert_eq!(same_name(a, b), a == b, "{a} {b}");
        }
    }
    use serde_json::json;

    #[test]
    fn whitespace_set() {
        let ws: Vec<char> = (0..=0x10FFFFu32).filter_map(char::from_u32).filter(|&c| is_js_whitespace(c)).collect();
        let expected: Vec<char> = [
            0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0xA0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006,
            0x2007, 0x2008, 0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF,
        ]
        .iter()
        .filter_map(|&u| char::from_u32(u))
        .collect();
        assert_eq!(ws, expected);
    }

    #[test]
    fn trim_and_len() {
        assert_eq!(trim(""), "");
        assert_eq!(trim(" \t\n\r\u{b}\u{c}"), "");
        assert_eq!(trim("\u{feff}x\u{3000}"), "x");
        assert_eq!(trim("\u{85}x\u{85}"), "\u{85}x\u{85}");
        assert_eq!(trim("\u{180e}x\u{200b}"), "\u{180e}x\u{200b}");
        assert_eq!(trim(" a  b "), "a  b");
        assert_eq!(utf16_len(""), 0);
        assert_eq!(utf16_len("abc"), 3);
        assert_eq!(utf16_len("ü"), 1);
        assert_eq!(utf16_len("日本"), 2);
        assert_eq!(utf16_len("😀"), 2);
        assert_eq!(utf16_len("\u{10ffff}a\u{ffff}"), 4);
    }

    /// (f64 bits, JS `String(n)`), from node.
    #[rustfmt::skip]
    const NUMBER_TO_STRING: &[(u64, &str)] = &[
        (0x0000000000000000, "0"),
        (0x8000000000000000, "0"),
        (0x3ff0000000000000, "1"),
        (0xbff0000000000000, "-1"),
        (0x3fb999999999999a, "0.1"),
        (0x3fc999999999999a, "0.2"),
        (0x3fd3333333333334, "0.30000000000000004"),
        (0x3fd3333333333333, "0.3"),
        (0x3fd5555555555555, "0.3333333333333333"),
        (0x3fe5555555555555, "0.6666666666666666"),
        (0xbfd5555555555555, "-0.3333333333333333"),
        (0x444b1ae4d6e2ef50, "1e+21"),
        (0x4415af1d78b58c40, "100000000000000000000"),
        (0x444b1ae4d6e2ef4f, "999999999999999900000"),
        (0x441ac53a7e04bcda, "123456789012345680000"),
        (0x3e7ad7f29abcaf48, "1e-7"),
        (0x3eb0c6f7a0b5ed8d, "0.000001"),
        (0x3e808ffde1023e12, "1.234e-7"),
        (0x3eb4b3fd5942cd96, "0.000001234"),
        (0x3eb92a737110e454, "0.0000015"),
        (0xbe7ad7f29abcaf48, "-1e-7"),
        (0x0000000000000001, "5e-324"),
        (0x8000000000000001, "-5e-324"),
        (0x7fefffffffffffff, "1.7976931348623157e+308"),
        (0xffefffffffffffff, "-1.7976931348623157e+308"),
        (0x0010000000000000, "2.2250738585072014e-308"),
        (0x000fffffffffffff, "2.225073858507201e-308"),
        (0x4340000000000000, "9007199254740992"),
        (0x4340000000000001, "9007199254740994"),
        (0x43e0000000000000, "9223372036854776000"),
        (0x43f0000000000000, "18446744073709552000"),
        (0x0000000000000003, "1.5e-323"),
        (0x7e41eb2d66005835, "1.5e+300"),
        (0x81b01297d23ab683, "-1.5e-300"),
        (0x4059000000000000, "100"),
        (0x54b249ad2594c37d, "1e+100"),
        (0x4011666666666666, "4.35"),
        (0x3fe0000000000000, "0.5"),
        (0x7fefffffffffffff, "1.7976931348623157e+308"),
        (0x3c36b082c2148b8e, "1.23e-18"),
        (0x4480f0cf064dd592, "1e+22"),
        (0x44b52d02c7e14af6, "1e+23"),
        (0x3ea0c6f7a0b5ed8d, "5e-7"),
        (0x41678c29dccccccd, "12345678.9"),
        (0x3fd3333333333334, "0.30000000000000004"),
        (0x4340000000000000, "9007199254740992"),
        (0x7ff8000000000000, "NaN"),
        (0x7ff0000000000000, "Infinity"),
        (0xfff0000000000000, "-Infinity"),
        (0x4045000000000000, "42"),
        (0xc045400000000000, "-42.5"),
        (0x3ff0000000000001, "1.0000000000000002"),
        (0x3fefffffffffffff, "0.9999999999999999"),
        (0x41b1de784a000000, "299792458"),
        (0x44dfe185ca57c517, "6.02214076e+23"),
        (0x3c07a4da290c1653, "1.602176634e-19"),
        (0x400921f9f01b866e, "3.14159"),
        (0x430c6bf526340002, "1000000000000000.2"),
        (0x447c7e83209e90b2, "8.41e+21"),
        (0x3efa36e2eb1c432d, "0.000025"),
        (0x3e72ca5d05ea7ab3, "7e-8"),
        (0x0000000000000002, "1e-323"),
        (0x1c0d57f10c894254, "1.4830122828920016e-173"),
        (0x43f04a6ece53d613, "18781959765316678000"),
        (0xe2b8410510668fa6, "-3.575532127436644e+167"),
        (0xd5f2e30a9e501b7d, "-1.0829258728928171e+106"),
        (0x535c8ea8a4e05948, "3.7230187291668613e+93"),
        (0x8f7b1bac9609eaf7, "-4.262874002980358e-234"),
        (0xcb3af636587957ba, "-2.5824242072052563e+54"),
        (0x6438f14dfe833301, "6.169062368256605e+174"),
        (0xd0af9825c659f77c, "-4.682717518917287e+80"),
        (0x302bd02b522a861b, "1.2009957333271821e-76"),
        (0xfd70522e931f790e, "-1.6677967842578716e+296"),
        (0xfba9a1630e23bac5, "-4.878446657335358e+287"),
        (0x29616ccb5e0010f0, "2.318589285015657e-109"),
        (0xd37bf421a1818b7f, "-1.4577297053362402e+94"),
        (0x7a5b1baa844c07a2, "2.4603368763737895e+281"),
        (0x552e421879d836c9, "2.1178316544328792e+102"),
        (0xa92e8eaf3493d9a4, "-2.5412503051231247e-110"),
        (0x5fe48bdeead11f23, "8.60880578948587e+153"),
        (0x618d3e487ffb5776, "8.222691106237041e+161"),
        (0x5cd158ba16a76b0d, "1.29107691235244e+139"),
        (0x07727df42b81c598, "8.54570675525937e-273"),
        (0x16e635e91fb5a507, "2.3213088696070116e-198"),
        (0x38c4ac26c846fc8a, "3.1104470921459883e-35"),
        (0x8ade8c37577c5b91, "-2.5430944865444634e-256"),
        (0xa7e5b8ad611588cc, "-1.722738704669676e-116"),
        (0x83785723e5c9c12b, "-6.097780315332402e-292"),
        (0xdab33022a4b9cade, "-8.312822724526027e+128"),
        (0x41b96ab112ea4c55, "426422546.91522723"),
        (0x4b0e14fa2fee1740, "3.601597095685222e+53"),
        (0x7402f3fb0a0a578f, "6.784931974924426e+250"),
        (0xf33082c146e3d672, "-7.215120195549942e+246"),
        (0x087799f31d30c159, "7.14794175889519e-268"),
        (0x0c996e223db1a4f4, "5.6829459783155954e-248"),
        (0xe7860860627a8c33, "-4.908348627938077e+190"),
        (0xc360b934d02e7346, "-37657888876108340"),
        (0x48a12d9e7a7f7e9d, "7.482161107104073e+41"),
        (0x7c5b2a840d01a5e8, "1.0589678202639377e+291"),
        (0x36aed0278207c317, "2.698647105952319e-45"),
        (0x2f32df6d0cf0355a, "2.487004346447123e-81"),
        (0x11aadb8d2d7a8821, "1.4511783911351778e-223"),
        (0xd75f5767c6aece1c, "-7.537323673202209e+112"),
        (0x4a8fc827e2ada03b, "1.4863756283822065e+51"),
        (0x2a0254f4b8c0f0ae, "2.497802242622384e-106"),
        (0x0e3ac880e5fe21e5, "4.0166704951275935e-240"),
        (0xcc8f347b2e2d1190, "-6.2680636295350096e+60"),
        (0x52db68d069da079f, "1.3958498820165765e+91"),
        (0xda3685c1600db942, "-3.811487003186698e+126"),
        (0x02e560ba1422cfe9, "1.0460153613400835e-294"),
        (0x849d7a22f547a444, "-1.9358371998957856e-286"),
        (0xba2202bd6b111d43, "-1.1366351447045025e-28"),
        (0xeb7d555532ece316, "-6.027238632455651e+209"),
        (0xc22299e52381562d, "-39945671104.66831"),
        (0x37774f28e314fa38, "1.6723543490008127e-41"),
        (0x8f5f6fac8cd14527, "-1.2358728798842298e-234"),
        (0x597820df5d32022a, "9.968892688048793e+122"),
        (0x0342921fe2b6b8b1, "5.815469976147267e-293"),
        (0x7b3c5add822ac76c, "4.21642788634725e+285"),
        (0x350acc1833b7234b, "3.4972035583573107e-53"),
        (0x532b85a8b7c1ea7e, "4.485081553067219e+92"),
        (0xce2f82f15b283b75, "-4.2477411636603242e+68"),
        (0x28a233c74a11ffe0, "5.913123370859785e-113"),
        (0x201f621657e19baf, "5.85165628779005e-154"),
        (0xe9b5194fe726b012, "-1.615014514429681e+201"),
        (0xdbdab32a9d076279, "-3.0322654230317206e+134"),
        (0x8b3557b077fad794, "-1.137128930106147e-254"),
        (0xb29fb30ce895d253, "-7.525098736431211e-65"),
        (0x828b4a613b63a6e6, "-2.0864429132840474e-296"),
        (0x92fe80074395f1bd, "-3.456086128287877e-217"),
        (0x192113900ab0c288, "1.2264488850957287e-187"),
        (0xb510e5a822232b37, "-4.410348039710868e-53"),
        (0xf8b096f3e50962fa, "-2.243641892571957e+273"),
        (0x1ffcc8c8b5a9ed41, "1.3417700686150025e-154"),
        (0xdc622fa995ce74bc, "-1.0574736719306435e+137"),
        (0x49242e7d7a074a5b, "2.250323833115041e+44"),
        (0x66a5e5675389b84e, "2.9772428268251304e+186"),
        (0xb17b50af66719905, "-2.4735747140749734e-70"),
        (0xe69fb192e031e230, "-2.1547136336756245e+186"),
        (0xd1c55e28055213bf, "-8.302111359536645e+85"),
        (0x9dfade60d0cbbae2, "-2.9161406126280175e-164"),
        (0x2d37dde19a777909, "7.322748579844029e-91"),
        (0x464aa1d581b03ee4, "4.2200348511762445e+30"),
        (0x174205b17d49ab63, "1.205484407881185e-196"),
        (0x6c93d002adffbeb6, "1.0671785741280018e+215"),
        (0x9ab990bf74e6514d, "-6.161061688309075e-180"),
        (0xaeed00ddf409fed8, "-1.1943728281977692e-82"),
        (0x1bbe6c05464e7547, "4.8047374242587294e-175"),
        (0x830f964395b357ca, "-6.1821878301584555e-294"),
        (0xd632c298510d25d1, "-1.7210538992596628e+107"),
        (0xfaae2e18cb1ed60c, "-8.765286751978548e+282"),
        (0xb07853391cff156b, "-3.3612092694095636e-75"),
        (0xf76acc8dd7255a1e, "-1.7282453501858931e+267"),
        (0xf6a68cedac233a95, "-3.550442059653537e+263"),
        (0x3bd21fc20861b880, "1.5351671260934577e-20"),
        (0xe9a9a4e94d9c6fcf, "-9.814677307716685e+200"),
        (0xd60bc6a3bed9d9b2, "-3.1852035453680368e+106"),
        (0x06b44fac234c1399, "2.2916062981826227e-276"),
        (0xb15f4941bd8cda34, "-7.08293547144917e-71"),
        (0x2ad607fc99ada873, "2.459119303854843e-102"),
        (0xc9b76b6f506e2a86, "-1.3370266429795474e+47"),
        (0xc3854d4349db74dd, "-191869629062093730"),
        (0x9ec2c43c7295af28, "-1.668540293426966e-160"),
        (0xbfb9021e2fe42357, "-0.09768856686799886"),
        (0xb4b19120f5ace09a, "-7.164339432887305e-55"),
        (0x2589eb895bd96261, "7.478731342200341e-128"),
        (0xc6ffc4fd02e0eb5c, "-1.0309787532055772e+34"),
        (0xafcb225a5a3f847b, "-1.8307456918140365e-78"),
        (0x2c814011f6e1cfee, "2.5843264139168927e-94"),
        (0xdf74c82010c62025, "-6.802675017834855e+151"),
        (0xf7a510d0e5b682d0, "-2.1736108420844882e+268"),
        (0x86bc32ccc671afdf, "-3.1814787562058048e-276"),
        (0x0792b684d06e0c82, "3.4591270419841216e-272"),
        (0x06ef8adc129e3229, "2.8470100082973434e-275"),
        (0x4e38c39715f5a984, "6.676367699717682e+68"),
        (0xb30123758c82c983, "-5.207676978823573e-63"),
        (0xca72ebd6b99bea56, "-4.4245489330240785e+50"),
        (0xa144f0c0dd1e5c6d, "-2.0470950522490042e-148"),
        (0x8764545d0d08d378, "-4.697443842152819e-273"),
        (0x3d9d3a5457b53567, "6.645643558403267e-12"),
        (0x5510fb42f0b2fd6a, "5.942844271559742e+101"),
        (0x199caab70947a2f1, "2.635376904535398e-185"),
        (0x443115ce220a2364, "315165880000000000000"),
        (0x3b624a0fcfed69dc, "1.2102846000000001e-22"),
        (0x40c7b6083126e979, "12140.064"),
        (0x462607c5396f75dd, "8.727122e+29"),
        (0x418a71a240000000, "55456840"),
        (0x4717a0eacc9ef026, "3.0671654e+34"),
        (0x40eedee7ae147ae1, "63223.24"),
        (0x43d3f2fa20d4c224, "5749945000000000000"),
        (0x3cbdaa39c75649e6, "4.116838e-16"),
        (0x3ce858148e84cf77, "2.702734e-15"),
        (0x3cc0a1b229da775b, "4.6162032e-16"),
        (0x456b87415f286f4f, "2.6623778e+26"),
        (0x45d2debe0241ba09, "2.3360036e+28"),
        (0x47075ed1714d1481, "1.5168246e+34"),
        (0x3cb8b927f68e2528, "3.4310424e-16"),
        (0x4722f628a3aecc3f, "4.9227018e+34"),
        (0x41bad51cf8000000, "450174200"),
        (0x4232ee9be7300000, "81312606000"),
        (0x46a4c6e269fe0c7f, "2.1070272e+32"),
        (0x437acd2600c77500, "120702600000000000"),
        (0x3e7a6f8bc80656fc, "9.848075600000001e-8"),
        (0x42372eb82d700000, "99568070000"),
        (0x4018947679d9e0b1, "6.1449831999999995"),
        (0x3fb0ebd7540f4bce, "0.06609865000000001"),
        (0x3bf5e89395ea1390, "7.4228892e-20"),
        (0x47178252d636ae7c, "3.0516526e+34"),
        (0x3c6eeb8947c328dc, "1.3409440000000001e-17"),
        (0x3d2ef0cd36425db9, "5.496160200000001e-14"),
        (0x429d8687ebca0000, "8115910800000"),
        (0x3c27e321582e10fa, "6.474646e-19"),
        (0x3ca9af6582d27292, "1.7822648000000003e-16"),
        (0x43d0abba60ac9d84, "4805034600000000000"),
        (0x41ae99e670000000, "256701240"),
        (0x4647ee98795c5902, "3.792179e+30"),
        (0x4021bd3798f3816c, "8.8695648"),
        (0x463ed5803a3a6fa7, "2.4429202e+30"),
        (0x45f3f899690ff5a7, "9.8892052e+28"),
        (0x3df204330927359b, "2.6217318e-10"),
        (0x3f4f2c33425542b0, "0.000951314"),
        (0x3c51dcd6360c3034, "3.8733434e-18"),
        (0x43398c800bd55800, "7191356000000000"),
        (0x465e5964acd1bccb, "9.618042999999999e+30"),
        (0x3e6b0f0d913c2bbf, "5.0400944000000004e-8"),
        (0x472ccceb12b027cb, "7.4770274e+34"),
        (0x429f7c5e885a0000, "8654755600000"),
        (0x3e09f6ccc5530e32, "7.556536599999999e-10"),
        (0x45f1ce898fa7f9ec, "8.8174936e+28"),
        (0x3eb1d82c38dd3ca9, "0.0000010636106"),
        (0x429bba2fe7fe0000, "7621620400000"),
        (0x47330ee105396742, "9.8955422e+34"),
        (0x46b806ab621aa722, "4.8730624e+32"),
        (0x472b4a7c3adc8840, "7.0851378000000005e+34"),
        (0x451f2ef9627495e8, "9.4246324e+24"),
        (0x3fadb3559c2d8c70, "0.05800883800000001"),
        (0x45d0dc914cf22d52, "2.087364e+28"),
        (0x4586eda6ecff8b9d, "8.8699674e+26"),
        (0x477a86302306252f, "2.2035420000000003e+36"),
        (0x3fa9c48c1cbf8f89, "0.050327662"),
        (0x41ba148920000000, "437553440"),
        (0x3b760138c65dac5f, "2.9123074e-22"),
    ];

    #[test]
    fn number_to_string_matches_js() {
        assert!(!NUMBER_TO_STRING.is_empty());
        for &(bits, s) in NUMBER_TO_STRING {
            assert_eq!(number_to_string(f64::from_bits(bits)), s, "{:e} ({bits:#x})", f64::from_bits(bits));
        }
    }

    /// (input, f64 bits of JS `Number(input)`), from node.
    #[rustfmt::skip]
    const STRING_TO_NUMBER: &[(&str, u64)] = &[
        ("", 0x0000000000000000),
        ("   ", 0x0000000000000000),
        (" \u{9}\u{a}\u{d}\u{b}\u{c}", 0x0000000000000000),
        ("\u{a0}\u{feff}12\u{3000}", 0x4028000000000000),
        ("\u{85} 12", 0x7ff8000000000000),
        ("12\u{85}", 0x7ff8000000000000),
        ("\u{180e}1", 0x7ff8000000000000),
        ("1\u{200b}", 0x7ff8000000000000),
        ("0", 0x0000000000000000),
        ("-0", 0x8000000000000000),
        ("+0", 0x0000000000000000),
        ("00", 0x0000000000000000),
        ("0012", 0x4028000000000000),
        ("-0012", 0xc028000000000000),
        ("1.5", 0x3ff8000000000000),
        (".5", 0x3fe0000000000000),
        ("5.", 0x4014000000000000),
        ("-.5", 0xbfe0000000000000),
        ("+.5e+2", 0x4049000000000000),
        (".", 0x7ff8000000000000),
        ("-.", 0x7ff8000000000000),
        ("+", 0x7ff8000000000000),
        ("-", 0x7ff8000000000000),
        ("e5", 0x7ff8000000000000),
        ("1e", 0x7ff8000000000000),
        ("1e+", 0x7ff8000000000000),
        ("1e-", 0x7ff8000000000000),
        ("1e5", 0x40f86a0000000000),
        ("1E5", 0x40f86a0000000000),
        ("1e+5", 0x40f86a0000000000),
        ("1e-5", 0x3ee4f8b588e368f1),
        ("1.e5", 0x40f86a0000000000),
        (".1e5", 0x40c3880000000000),
        ("1..2", 0x7ff8000000000000),
        ("1.2.3", 0x7ff8000000000000),
        ("0x1A", 0x403a000000000000),
        ("0X1a", 0x403a000000000000),
        ("0x", 0x7ff8000000000000),
        ("0x1g", 0x7ff8000000000000),
        ("-0x10", 0x7ff8000000000000),
        ("+0x10", 0x7ff8000000000000),
        ("0x-1", 0x7ff8000000000000),
        ("0x1.8", 0x7ff8000000000000),
        ("0x1p3", 0x7ff8000000000000),
        (" 0x1A ", 0x403a000000000000),
        ("0o17", 0x402e000000000000),
        ("0O17", 0x402e000000000000),
        ("0o8", 0x7ff8000000000000),
        ("0b101", 0x4014000000000000),
        ("0B11", 0x4008000000000000),
        ("0b102", 0x7ff8000000000000),
        ("0b", 0x7ff8000000000000),
        ("0o", 0x7ff8000000000000),
        ("00x1", 0x7ff8000000000000),
        ("0x0000000000000000000001", 0x3ff0000000000000),
        ("0x20000000000001", 0x4340000000000000),
        ("0x20000000000003", 0x4340000000000002),
        ("0x1fffffffffffff", 0x433fffffffffffff),
        ("0x20000000000000", 0x4340000000000000),
        ("0x20000000000001000000001", 0x4580000000000001),
        ("0x8000000000000800", 0x43e0000000000001),
        ("0x8000000000000801", 0x43e0000000000001),
        ("0x8000000000000c00", 0x43e0000000000002),
        ("0x80000000000007ff", 0x43e0000000000001),
        ("0b111111111111111111111111111111111111111111111111111111111111", 0x43b0000000000000),
        ("0o777777777777777777777777777777", 0x4590000000000000),
        ("Infinity", 0x7ff0000000000000),
        ("+Infinity", 0x7ff0000000000000),
        ("-Infinity", 0xfff0000000000000),
        ("infinity", 0x7ff8000000000000),
        ("INFINITY", 0x7ff8000000000000),
        ("inf", 0x7ff8000000000000),
        ("-inf", 0x7ff8000000000000),
        ("nan", 0x7ff8000000000000),
        ("NaN", 0x7ff8000000000000),
        ("Infinityx", 0x7ff8000000000000),
        (" Infinity ", 0x7ff0000000000000),
        ("- Infinity", 0x7ff8000000000000),
        ("+-1", 0x7ff8000000000000),
        ("-+1", 0x7ff8000000000000),
        ("--1", 0x7ff8000000000000),
        ("1_000", 0x7ff8000000000000),
        ("1,000", 0x7ff8000000000000),
        ("12px", 0x7ff8000000000000),
        ("1 2", 0x7ff8000000000000),
        ("0.0000001", 0x3e7ad7f29abcaf48),
        ("1e21", 0x444b1ae4d6e2ef50),
        ("9007199254740993", 0x4340000000000000),
        ("9007199254740992.5", 0x4340000000000000),
        ("123456789012345678901234567890", 0x45f8ee90ff6c373e),
        ("1e308", 0x7fe1ccf385ebc8a0),
        ("1.7976931348623157e308", 0x7fefffffffffffff),
        ("1.7976931348623158e308", 0x7fefffffffffffff),
        ("1.7976931348623159e308", 0x7ff0000000000000),
        ("1e309", 0x7ff0000000000000),
        ("-1e309", 0xfff0000000000000),
        ("1e-324", 0x0000000000000000),
        ("2e-324", 0x0000000000000000),
        ("3e-324", 0x0000000000000001),
        ("-1e-400", 0x8000000000000000),
        ("4.9406564584124654e-324", 0x0000000000000001),
        ("2.2250738585072011e-308", 0x000fffffffffffff),
        ("0.1", 0x3fb999999999999a),
        ("0.30000000000000004", 0x3fd3333333333334),
        ("1e100000000000000000000", 0x7ff0000000000000),
        ("1e-100000000000000000000", 0x0000000000000000),
        ("0e999999999999999999999", 0x0000000000000000),
        ("\u{661}", 0x7ff8000000000000),
        ("\u{ff11}", 0x7ff8000000000000),
        ("true", 0x7ff8000000000000),
        ("null", 0x7ff8000000000000),
        ("[]", 0x7ff8000000000000),
        ("0.1e-1", 0x3f847ae147ae147b),
        ("  -12.50e+1\u{a}", 0xc05f400000000000),
    ];

    fn same(a: f64, b: f64) -> bool {
        a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
    }

    #[test]
    fn string_to_number_matches_js() {
        assert!(!STRING_TO_NUMBER.is_empty());
        for &(s, bits) in STRING_TO_NUMBER {
            let got = string_to_number(s);
            assert!(
                same(got, f64::from_bits(bits)),
                "{s:?}: got {got:e} ({:#x}), want {:e} ({bits:#x})",
                got.to_bits(),
                f64::from_bits(bits)
            );
        }
    }

    /// Long literals (built here to keep the table readable): f64 bits of JS `Number(s)`, from node.
    #[test]
    fn long_literals_match_js() {
        let cases: Vec<(String, u64)> = vec![
            (format!("0x{}", "f".repeat(256)), 0x7ff0000000000000),
            (format!("0x{}", "f".repeat(255)), 0x7fb0000000000000),
            (format!("0x1{}", "0".repeat(255)), 0x7fb0000000000000),
            (format!("0x{}", "f".repeat(300)), 0x7ff0000000000000),
            (format!("0b{}", "1".repeat(60)), 0x43b0000000000000),
            (format!("0o{}", "7".repeat(30)), 0x4590000000000000),
            (format!("0x{}8{}1", "f".repeat(14), "0".repeat(100)), 0x5cf0000000000000),
            (format!("0x{}e8{}", "f".repeat(13), "0".repeat(100)), 0x5cb0000000000000),
            (format!("0x{}e8{}1", "f".repeat(13), "0".repeat(100)), 0x5cf0000000000000),
            (format!("0.{}1", "0".repeat(400)), 0x0000000000000000),
            (format!("0.{}1", "0".repeat(300)), 0x017124e63593f5e1),
            (format!("1{}", "0".repeat(400)), 0x7ff0000000000000),
            (format!("2.{}1", "0".repeat(800)), 0x4000000000000000),
            (format!("9007199254740993.{}1", "0".repeat(800)), 0x4340000000000001),
            ("1".repeat(1000), 0x7ff0000000000000),
        ];
        for (s, bits) in cases {
            let got = string_to_number(&s);
            assert!(same(got, f64::from_bits(bits)), "{s}: got {:#x}, want {bits:#x}", got.to_bits());
        }
    }

    /// Decimal literals of every shape against the standard library's correctly rounded parser
    /// (the conversion `string_to_number` used before reading them through serde_json): leading
    /// zeros, missing sides of the point, long mantissas, exponents near and past the limits,
    /// halfway cases.
    #[test]
    fn decimal_literals_round_as_the_standard_parser() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let digits = |next: &mut dyn FnMut(u64) -> u64, len: u64| -> String {
            (0..len).map(|_| char::from(b'0' + next(10) as u8)).collect()
        };
        let mut literals: Vec<String> = [
            "0",
            "00",
            "-0",
            "+0",
            "0.",
            ".0",
            "-.0",
            "0e0",
            "0e999999999999",
            "1e999999999999",
            "1e-999999999999",
            "4.9406564584124654e-324",
            "2.4703282292062327e-324",
            "2.4703282292062328e-324",
            "1.7976931348623157e308",
            "1.7976931348623158e308",
            "1.7976931348623159e308",
            "9007199254740993",
            "9007199254740992.5",
            "123456789012345678901234567890",
            "00012.500e-2",
            "5.e3",
            ".5e-3",
            "+.5e+2",
            "-0012",
            "1E21",
            "1e-7",
        ]
        .map(String::from)
        .into();
        for _ in 0..20000 {
            let mut s = String::new();
            match next(3) {
                0 => s.push('-'),
                1 => s.push('+'),
                _ => {}
            }
            let long = next(8) == 0;
            let int_len = if long { next(400) } else { next(20) };
            let frac_len = if long { next(400) } else { next(20) };
            let zeros = next(4);
            s.push_str(&"0".repeat(zeros as usize));
            s.push_str(&digits(&mut next, int_len));
            if next(2) == 0 || int_len == 0 {
                s.push('.');
                s.push_str(&digits(&mut next, frac_len));
            }
            if s.trim_start_matches(['-', '+']).trim_start_matches('0').is_empty() && zeros == 0 {
                s.push('0');
            }
            if s.trim_start_matches(['-', '+']) == "." {
                s.push('5');
            }
            if next(2) == 0 {
                s.push(if next(2) == 0 { 'e' } else { 'E' });
                match next(3) {
                    0 => s.push('-'),
                    1 => s.push('+'),
                    _ => {}
                }
                let exp = match next(4) {
                    0 => next(10),
                    1 => next(330),
                    2 => 280 + next(60),
                    _ => next(100_000),
                };
                s.push_str(&exp.to_string());
            }
            literals.push(s);
        }
        for s in literals {
            let want: f64 = s.parse().unwrap_or_else(|_| panic!("{s:?} is not a literal"));
            let got = string_to_number(&s);
            assert!(same(got, want), "{s}: got {got:e} ({:#x}), want {want:e} ({:#x})", got.to_bits(), want.to_bits());
        }
    }

    /// (JSON value, f64 bits of JS `Number(v)`, JS `String(v)`), from node.
    #[rustfmt::skip]
    const VALUES: &[(&str, u64, &str)] = &[
        ("0", 0x0000000000000000, "0"),
        ("-0", 0x8000000000000000, "0"),
        ("1.5", 0x3ff8000000000000, "1.5"),
        ("-1e-7", 0xbe7ad7f29abcaf48, "-1e-7"),
        ("1e21", 0x444b1ae4d6e2ef50, "1e+21"),
        ("123456789012345678901234567890", 0x45f8ee90ff6c373e, "1.2345678901234568e+29"),
        ("\"12\"", 0x4028000000000000, "12"),
        ("\" 12 \"", 0x4028000000000000, " 12 "),
        ("\"\"", 0x0000000000000000, ""),
        ("\"0x1A\"", 0x403a000000000000, "0x1A"),
        ("\"abc\"", 0x7ff8000000000000, "abc"),
        ("null", 0x0000000000000000, "null"),
        ("true", 0x3ff0000000000000, "true"),
        ("false", 0x0000000000000000, "false"),
        ("[]", 0x0000000000000000, ""),
        ("[\"7\"]", 0x401c000000000000, "7"),
        ("[7]", 0x401c000000000000, "7"),
        ("[\" 7 \"]", 0x401c000000000000, " 7 "),
        ("[1,2]", 0x7ff8000000000000, "1,2"),
        ("[[5]]", 0x4014000000000000, "5"),
        ("[[[5]]]", 0x4014000000000000, "5"),
        ("[null]", 0x0000000000000000, ""),
        ("[null,null]", 0x7ff8000000000000, ","),
        ("[true]", 0x7ff8000000000000, "true"),
        ("[false]", 0x7ff8000000000000, "false"),
        ("[\"\",\"\"]", 0x7ff8000000000000, ","),
        ("[{}]", 0x7ff8000000000000, "[object Object]"),
        ("{}", 0x7ff8000000000000, "[object Object]"),
        ("{\"a\":1}", 0x7ff8000000000000, "[object Object]"),
        ("[1,[2,null],\"a\"]", 0x7ff8000000000000, "1,2,,a"),
        ("[1.5e300]", 0x7e41eb2d66005835, "1.5e+300"),
        ("[-0]", 0x0000000000000000, "0"),
        ("[\"1e3\"]", 0x408f400000000000, "1e3"),
        ("[[],[]]", 0x7ff8000000000000, ","),
        ("\"Infinity\"", 0x7ff0000000000000, "Infinity"),
        ("[[\"0x10\"]]", 0x4030000000000000, "0x10"),
        ("[1e21]", 0x444b1ae4d6e2ef50, "1e+21"),
        ("\"\\ufeff 3 \\u00a0\"", 0x4008000000000000, "\u{feff} 3 \u{a0}"),
        ("[[null]]", 0x0000000000000000, ""),
        ("[\"a\",1]", 0x7ff8000000000000, "a,1"),
    ];

    #[test]
    fn to_number_and_to_js_string_match_js() {
        assert!(!VALUES.is_empty());
        for &(json, bits, s) in VALUES {
            let v: Value = serde_json::from_str(json).unwrap();
            let got = to_number(&v);
            assert!(same(got, f64::from_bits(bits)), "Number({json}): got {got:e}, want {:e}", f64::from_bits(bits));
            assert_eq!(to_js_string(&v), s, "String({json})");
        }
    }

    /// JS `JSON.parse` rounds every number correctly. serde_json does so only with its
    /// `float_roundtrip` feature; without it about 1 in 6 shortest-form doubles (what JS
    /// `JSON.stringify` writes) come back 1 ulp off, so attributes would compare and print unlike JS.
    #[test]
    fn serde_json_parses_floats_like_js() {
        for text in [
            "996407.2403669725",
            "2156142302068.7358",
            "-2509793.5664299754",
            "4.474425977442554e-28",
            "1.4980216255458633e-220",
        ] {
            let v: Value = serde_json::from_str(text).unwrap();
            let want: f64 = text.parse().unwrap();
            assert_eq!(
                to_number(&v).to_bits(),
                want.to_bits(),
                "{text}: enable serde_json's `float_roundtrip` feature"
            );
            assert_eq!(to_js_string(&v), text);
        }
    }

    #[test]
    fn values_built_in_rust() {
        assert!(same(to_number(&json!(-0.0)), -0.0));
        assert_eq!(to_js_string(&json!(-0.0)), "0");
        assert_eq!(to_number(&json!(u64::MAX)), 18446744073709551616.0);
        assert_eq!(to_js_string(&json!(u64::MAX)), "18446744073709552000");
        assert_eq!(to_js_string(&json!(i64::MIN)), "-9223372036854776000");
        assert_eq!(to_js_string(&json!([[], [[]], null])), ",,");
    }

    #[test]
    fn ascii_upper_case_agrees_with_unicode_upper_case() {
        for c in (0..=0x10ffff_u32).filter_map(char::from_u32) {
            let full = c.to_uppercase().collect::<String>();
            let ours = to_ascii_upper_case(c.encode_utf8(&mut [0; 4]));
            if full.is_ascii() {
                assert_eq!(ours.as_deref(), Some(full.as_str()), "{c:?}");
            } else {
                assert_eq!(ours, None, "{c:?}");
            }
        }
    }
}

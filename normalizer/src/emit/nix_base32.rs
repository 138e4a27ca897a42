//! Nix's base-32 encoding of hashes, which Guix origins use
//! (`(sha256 (base32 "0ssi1wpa..."))`), to and from the hexadecimal digests
//! PKGBUILDs use. It is not RFC 4648: its own alphabet (no `e o u t`) and
//! the bytes taken from the end.

const ALPHABET: &[u8; 32] = b"0123456789abcdfghijklmnpqrsvwxyz";

/// Encodes bytes.
pub fn encode(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return String::new();
    }
    let len = (bytes.len() * 8 - 1) / 5 + 1;
    let mut out = String::with_capacity(len);
    for n in (0..len).rev() {
        let b = n * 5;
        let (i, j) = (b / 8, b % 8);
        let low = u16::from(bytes[i]) >> j;
        let high = bytes.get(i + 1).map_or(0, |&x| u16::from(x) << (8 - j));
        out.push(char::from(ALPHABET[usize::from((low | high) & 0x1f)]));
    }
    out
}

/// Decodes a Nix base-32 string of a digest of `byte_len` bytes; `None` when
/// the text is not one.
pub fn decode(text: &str, byte_len: usize) -> Option<Vec<u8>> {
    if byte_len == 0 || text.len() != (byte_len * 8 - 1) / 5 + 1 {
        return None;
    }
    let mut bytes = vec![0u8; byte_len];
    for (n, c) in text.bytes().rev().enumerate() {
        let digit = u16::try_from(ALPHABET.iter().position(|&a| a == c)?).ok()?;
        let b = n * 5;
        let (i, j) = (b / 8, b % 8);
        bytes[i] |= u8::try_from((digit << j) & 0xff).ok()?;
        let carry = digit >> (8 - j);
        if let Some(next) = bytes.get_mut(i + 1) {
            *next |= u8::try_from(carry & 0xff).ok()?;
        } else if carry != 0 {
            return None;
        }
    }
    Some(bytes)
}

/// Hex digest to Nix base-32; `None` unless `hex` is whole bytes of hex.
pub fn from_hex(hex: &str) -> Option<String> {
    if !hex.len().is_multiple_of(2) || hex.is_empty() {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect();
    bytes.map(|b| encode(&b))
}

/// Nix base-32 digest of `byte_len` bytes to lower-case hex.
pub fn to_hex(text: &str, byte_len: usize) -> Option<String> {
    decode(text, byte_len).map(|b| b.iter().map(|x| format!("{x:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    // GNU Hello 2.10's tarball, as both Arch (hex) and Guix (base32) state it.
    const HEX: &str = "31e066137a962676e89f69d1b65382de95a7ef7d914b8cb956f41ea72e0f516b";
    const B32: &str = "0ssi1wpaf7plaswqqjwigppsg5fyh99vdlb9kzl7c9lng89ndq1i";

    #[test]
    fn hello_tarball_both_ways() {
        assert_eq!(from_hex(HEX).as_deref(), Some(B32));
        assert_eq!(to_hex(B32, 32).as_deref(), Some(HEX));
    }

    #[test]
    fn rejects_bad_text() {
        assert_eq!(from_hex("abc"), None);
        assert_eq!(from_hex("zz"), None);
        assert_eq!(to_hex("e", 32), None);
        assert_eq!(to_hex(&B32.replace('0', "e"), 32), None);
    }

    proptest::proptest! {
        #[test]
        fn round_trip(bytes in proptest::collection::vec(proptest::num::u8::ANY, 1..80)) {
            let text = encode(&bytes);
            proptest::prop_assert_eq!(decode(&text, bytes.len()), Some(bytes));
        }
    }
}

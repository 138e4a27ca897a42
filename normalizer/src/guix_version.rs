//! Guix's version order.
//!
//! Guix compares versions with `version-compare` from `(guix utils)`, which
//! calls glibc's `strverscmp`: strings compare byte by byte, except that runs
//! of digits compare as numbers, and runs with leading zeros as fractional
//! parts. This is a port of glibc's state machine so Kiln can say where
//! Guix's order and Arch's `vercmp` disagree about the same two versions.

use std::cmp::Ordering;

const S_N: usize = 0;
const S_I: usize = 3;
const S_F: usize = 6;
const S_Z: usize = 9;

const CMP: i8 = 2;
const LEN: i8 = 3;

/// Next state, indexed by `state + class` (class: 0 other, 1 digit 1-9, 2 zero).
const NEXT_STATE: [usize; 12] = [
    S_N, S_I, S_Z, // S_N
    S_N, S_I, S_I, // S_I
    S_N, S_F, S_F, // S_F
    S_N, S_F, S_Z, // S_Z
];

/// What decides the comparison, indexed by `state * 3 + class of c2`.
const RESULT_TYPE: [i8; 36] = [
    CMP, CMP, CMP, CMP, LEN, CMP, CMP, CMP, CMP, // S_N
    CMP, -1, -1, 1, LEN, LEN, 1, LEN, LEN, // S_I
    CMP, CMP, CMP, CMP, CMP, CMP, CMP, CMP, CMP, // S_F
    CMP, 1, 1, -1, CMP, CMP, -1, CMP, CMP, // S_Z
];

fn class(c: u8) -> usize {
    usize::from(c == b'0') + usize::from(c.is_ascii_digit())
}

/// Compares two versions as Guix's `version-compare` (glibc `strverscmp`) does.
pub fn guix_version_cmp(a: &str, b: &str) -> Ordering {
    let (p1, p2) = (a.as_bytes(), b.as_bytes());
    // C strings end in NUL; reading past the end yields 0 here too.
    let at = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    let (mut i, mut j) = (0usize, 0usize);
    let mut c1 = at(p1, i);
    let mut c2 = at(p2, j);
    i += 1;
    j += 1;
    let mut state = S_N + class(c1);
    let mut diff = i32::from(c1) - i32::from(c2);
    while diff == 0 {
        if c1 == 0 {
            return Ordering::Equal;
        }
        state = NEXT_STATE[state];
        c1 = at(p1, i);
        c2 = at(p2, j);
        i += 1;
        j += 1;
        state += class(c1);
        diff = i32::from(c1) - i32::from(c2);
    }
    match RESULT_TYPE[state * 3 + class(c2)] {
        CMP => diff.cmp(&0),
        LEN => {
            loop {
                let d1 = at(p1, i).is_ascii_digit();
                i += 1;
                if !d1 {
                    break;
                }
                let d2 = at(p2, j).is_ascii_digit();
                j += 1;
                if !d2 {
                    return Ordering::Greater;
                }
            }
            if at(p2, j).is_ascii_digit() {
                Ordering::Less
            } else {
                diff.cmp(&0)
            }
        }
        other => other.cmp(&0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strverscmp_cases_from_glibc_manual() {
        use Ordering::*;
        // From the glibc manual and its test suite.
        let cases = [
            ("no digit", "no digit", Equal),
            ("item#99", "item#100", Less),
            ("alpha1", "alpha001", Greater),
            ("part1_f012", "part1_f01", Greater),
            ("foo.009", "foo.0", Less),
            ("000", "00", Less),
            ("00", "01", Less),
            ("01", "010", Less),
            ("010", "09", Less),
            ("09", "0", Less),
            ("0", "1", Less),
            ("1", "9", Less),
            ("9", "10", Less),
            ("1.2.10", "1.2.9", Greater),
            ("2.38", "2.38", Equal),
            ("1.0rc1", "1.0", Greater),
        ];
        for (a, b, want) in cases {
            assert_eq!(guix_version_cmp(a, b), want, "{a} vs {b}");
            assert_eq!(guix_version_cmp(b, a), want.reverse(), "{b} vs {a}");
        }
    }
}

//! Checksums of every kind makepkg knows, computed while reading a file once.

use std::io::Read;

use blake2::Blake2b512;
use kiln_normalizer::ChecksumKind;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};

/// POSIX `cksum`: CRC-32 with polynomial 0x04C11DB7 over the data followed by
/// its length, complemented — the value makepkg's `cksums` holds.
#[derive(Debug, Clone, Default)]
pub struct PosixCksum {
    crc: u32,
    len: u64,
}

impl PosixCksum {
    fn step(crc: u32, byte: u8) -> u32 {
        let mut c = crc ^ (u32::from(byte) << 24);
        for _ in 0..8 {
            c = if c & 0x8000_0000 != 0 {
                (c << 1) ^ 0x04C1_1DB7
            } else {
                c << 1
            };
        }
        c
    }

    /// Feeds bytes.
    pub fn update(&mut self, data: &[u8]) {
        for &b in data {
            self.crc = Self::step(self.crc, b);
        }
        self.len += data.len() as u64;
    }

    /// The checksum as `cksum` prints it (decimal).
    pub fn finish(&self) -> String {
        let mut crc = self.crc;
        let mut len = self.len;
        while len != 0 {
            crc = Self::step(crc, (len & 0xff) as u8);
            len >>= 8;
        }
        (!crc).to_string()
    }
}

/// Every digest of one file, computed in one pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digests {
    /// `(kind, value)` for every kind, hex (decimal for `cksums`).
    pub values: Vec<(ChecksumKind, String)>,
    /// Bytes read.
    pub size: u64,
}

impl Digests {
    /// The value of one kind.
    pub fn get(&self, kind: ChecksumKind) -> &str {
        self.values
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    }

    /// The sha256, hex.
    pub fn sha256(&self) -> &str {
        self.get(ChecksumKind::Sha256)
    }
}

/// Reads `reader` to the end and computes every digest; also passes the bytes
/// to `sink` (to copy a file while hashing it).
pub fn digest_reader(
    mut reader: impl Read,
    mut sink: impl FnMut(&[u8]) -> std::io::Result<()>,
) -> std::io::Result<Digests> {
    let (mut ck, mut md5, mut sha1) = (PosixCksum::default(), Md5::new(), Sha1::new());
    let (mut s224, mut s256, mut s384, mut s512, mut b2) = (
        Sha224::new(),
        Sha256::new(),
        Sha384::new(),
        Sha512::new(),
        Blake2b512::new(),
    );
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        let chunk = &buf[..n];
        ck.update(chunk);
        md5.update(chunk);
        sha1.update(chunk);
        s224.update(chunk);
        s256.update(chunk);
        s384.update(chunk);
        s512.update(chunk);
        b2.update(chunk);
        sink(chunk)?;
        size += n as u64;
    }
    let values = vec![
        (ChecksumKind::Ck, ck.finish()),
        (ChecksumKind::Md5, hex::encode(md5.finalize())),
        (ChecksumKind::Sha1, hex::encode(sha1.finalize())),
        (ChecksumKind::Sha224, hex::encode(s224.finalize())),
        (ChecksumKind::Sha256, hex::encode(s256.finalize())),
        (ChecksumKind::Sha384, hex::encode(s384.finalize())),
        (ChecksumKind::Sha512, hex::encode(s512.finalize())),
        (ChecksumKind::B2, hex::encode(b2.finalize())),
    ];
    Ok(Digests { values, size })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_of_known_input() {
        let d = digest_reader(&b"abc"[..], |_| Ok(())).unwrap();
        assert_eq!(d.size, 3);
        assert_eq!(d.get(ChecksumKind::Md5), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(
            d.get(ChecksumKind::Sha1),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            d.sha256(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        // `printf abc | cksum` prints 1219131554.
        assert_eq!(d.get(ChecksumKind::Ck), "1219131554");
        assert!(d.get(ChecksumKind::B2).starts_with("ba80a53f981c4d0d"));
    }

    #[test]
    fn cksum_of_empty_input() {
        // `cksum < /dev/null` prints 4294967295.
        assert_eq!(PosixCksum::default().finish(), "4294967295");
    }
}

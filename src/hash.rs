//! MurmurHash3 hashing, bit-for-bit as Split's JavaScript SDK (javascript-commons) computes it.
//!
//! * [`murmur3_x86_32`] / [`bucket`]: the hash behind traffic allocation and partition selection
//!   (spec §3.1, §3.2). The input is the UTF-8 encoding of the key; the flag's int32 seed is
//!   reinterpreted as `u32` (two's complement bits); the result is unsigned.
//! * [`murmur3_x86_128`] / [`murmur3_x86_128_hex`]: the 128-bit x86 flavour that the server-side
//!   impression observer uses to de-duplicate impressions (spec §6.3; javascript-commons
//!   `src/utils/murmur3/murmur3_128_x86.ts`, function `hash128`).
//!
//! Both are the standard MurmurHash3 algorithms (Austin Appleby's reference `MurmurHash3_x86_32` and
//! `MurmurHash3_x86_128`), written here from the algorithm description. All arithmetic is mod 2^32
//! (`wrapping_*`), and no function here can panic.

/// Multiplier applied to each 32-bit block before the rotation (x86_32).
const C1_32: u32 = 0xcc9e_2d51;
/// Multiplier applied to each 32-bit block after the rotation (x86_32).
const C2_32: u32 = 0x1b87_3593;

/// Reads up to four bytes as a little-endian `u32`, missing high bytes being zero.
#[inline(always)]
fn le32(bytes: &[u8]) -> u32 {
    match *bytes {
        [a, b, c, d, ..] => u32::from_le_bytes([a, b, c, d]),
        [a, b, c] => u32::from_le_bytes([a, b, c, 0]),
        [a, b] => u32::from_le_bytes([a, b, 0, 0]),
        [a] => u32::from(a),
        [] => 0,
    }
}

/// The MurmurHash3 32-bit finalizer ("fmix32"): forces all bits of `h` to avalanche.
#[inline(always)]
fn fmix32(mut h: u32) -> u32 {
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h
}

/// Scrambles one (possibly partial) block `k` of the x86_32 variant before it is XORed into the state.
#[inline(always)]
fn scramble32(k: u32) -> u32 {
    k.wrapping_mul(C1_32).rotate_left(15).wrapping_mul(C2_32)
}

/// Standard MurmurHash3_x86_32 of `data` with `seed`.
///
/// Blocks of 4 bytes are read little-endian; the 1–3 trailing bytes form a final partial block;
/// the byte length (mod 2^32) is XORed in before the finalizer. For Split, `data` is the UTF-8
/// encoding of the key and `seed` is the flag's int32 seed cast with `as u32`.
///
/// ```
/// use split_edge::hash::murmur3_x86_32;
/// assert_eq!(murmur3_x86_32(b"", 0), 0);
/// assert_eq!(murmur3_x86_32(b"hello", 0), 0x248b_fa47);
/// ```
#[must_use]
pub fn murmur3_x86_32(data: &[u8], seed: u32) -> u32 {
    let mut h = seed;
    let blocks = data.chunks_exact(4);
    let tail = blocks.remainder();
    for block in blocks {
        h ^= scramble32(le32(block));
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    if !tail.is_empty() {
        h ^= scramble32(le32(tail));
    }
    // The reference algorithm XORs the length as a 32-bit integer (JS: `h ^= len`, ToInt32).
    h ^= data.len() as u32;
    fmix32(h)
}

/// Split's bucket of `key` for `seed`: `murmur3_x86_32(utf8(key), seed as u32) % 100 + 1`,
/// always in `1..=100` (spec §3.2).
///
/// ```
/// use split_edge::hash::bucket;
/// assert_eq!(bucket("key", 123), 38);
/// assert_eq!(bucket("ünï", -5), 3);
/// ```
#[must_use]
#[inline]
pub fn bucket(key: &str, seed: i32) -> u8 {
    // `% 100` is below 100, so the narrowing cast is lossless and `+ 1` cannot overflow a u8.
    ((murmur3_x86_32(key.as_bytes(), seed as u32) % 100) as u8).wrapping_add(1)
}

/// Standard MurmurHash3_x86_128 of `data` with `seed`, as its four 32-bit state words
/// `[h1, h2, h3, h4]` after finalization.
///
/// The reference C implementation writes these words to its 16-byte output in the same order
/// (`h1` first), each word in the machine's (little-endian) byte order; javascript-commons' `hash128`
/// instead prints each word as 8 big-endian hex digits, `h1` first (see [`murmur3_x86_128_hex`]).
#[must_use]
pub fn murmur3_x86_128(data: &[u8], seed: u32) -> [u32; 4] {
    let mut h = Murmur3X86_128::new(seed);
    h.write(data);
    h.finish()
}

const C1: u32 = 0x239b_961b;
const C2: u32 = 0xab0e_9789;
const C3: u32 = 0x38b3_4ae5;
const C4: u32 = 0xa1e3_8b93;

/// MurmurHash3_x86_128 fed in pieces: [`Murmur3X86_128::write`] any number of times, then
/// [`Murmur3X86_128::finish`]; the result equals [`murmur3_x86_128`] of the concatenation.
/// Lets the impression observer hash `key:feature:treatment:label:changeNumber` without
/// building the string.
#[derive(Debug, Clone)]
pub struct Murmur3X86_128 {
    h: [u32; 4],
    buf: [u8; 16],
    buffered: usize,
    len: u64,
}

impl Murmur3X86_128 {
    /// A hasher with `seed`.
    #[must_use]
    pub fn new(seed: u32) -> Murmur3X86_128 {
        Murmur3X86_128 { h: [seed; 4], buf: [0; 16], buffered: 0, len: 0 }
    }

    fn block(&mut self, block: &[u8]) {
        let [mut h1, mut h2, mut h3, mut h4] = self.h;
        let word = |i: usize| le32(block.get(i..).unwrap_or(&[]));
        let (k1, k2, k3, k4) = (word(0), word(4), word(8), word(12));

        h1 ^= k1.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h1 = h1.rotate_left(19).wrapping_add(h2).wrapping_mul(5).wrapping_add(0x561c_cd1b);

        h2 ^= k2.wrapping_mul(C2).rotate_left(16).wrapping_mul(C3);
        h2 = h2.rotate_left(17).wrapping_add(h3).wrapping_mul(5).wrapping_add(0x0bca_a747);

        h3 ^= k3.wrapping_mul(C3).rotate_left(17).wrapping_mul(C4);
        h3 = h3.rotate_left(15).wrapping_add(h4).wrapping_mul(5).wrapping_add(0x96cd_1c35);

        h4 ^= k4.wrapping_mul(C4).rotate_left(18).wrapping_mul(C1);
        h4 = h4.rotate_left(13).wrapping_add(h1).wrapping_mul(5).wrapping_add(0x32ac_3b17);
        self.h = [h1, h2, h3, h4];
    }

    /// Feeds more bytes.
    pub fn write(&mut self, mut data: &[u8]) {
        self.len = self.len.wrapping_add(data.len() as u64);
        if self.buffered > 0 {
            let take = data.len().min(16usize.saturating_sub(self.buffered));
            let (head, rest) = data.split_at(take);
            if let Some(dst) = self.buf.get_mut(self.buffered..self.buffered.saturating_add(take)) {
                dst.copy_from_slice(head);
            }
            self.buffered = self.buffered.saturating_add(take);
            data = rest;
            if self.buffered < 16 {
                return;
            }
            let full = self.buf;
            self.block(&full);
            self.buffered = 0;
        }
        let blocks = data.chunks_exact(16);
        let tail = blocks.remainder();
        for block in blocks {
            self.block(block);
        }
        if let Some(dst) = self.buf.get_mut(..tail.len()) {
            dst.copy_from_slice(tail);
        }
        self.buffered = tail.len();
    }

    /// The hash: the words `h1..h4`.
    #[must_use]
    pub fn finish(self) -> [u32; 4] {
        let [mut h1, mut h2, mut h3, mut h4] = self.h;
        // Tail: 0..=15 bytes. Zero-padded, the partial words equal the reference's byte-wise XORs;
        // a word is mixed in only if at least one of its bytes is present.
        let n = self.buffered;
        let mut buf = [0u8; 16];
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), self.buf.get(..n)) {
            dst.copy_from_slice(src);
        }
        let word = |i: usize| le32(buf.get(i..).unwrap_or(&[]));
        if n > 12 {
            h4 ^= word(12).wrapping_mul(C4).rotate_left(18).wrapping_mul(C1);
        }
        if n > 8 {
            h3 ^= word(8).wrapping_mul(C3).rotate_left(17).wrapping_mul(C4);
        }
        if n > 4 {
            h2 ^= word(4).wrapping_mul(C2).rotate_left(16).wrapping_mul(C3);
        }
        if n > 0 {
            h1 ^= word(0).wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        }

        let len = self.len as u32;
        h1 ^= len;
        h2 ^= len;
        h3 ^= len;
        h4 ^= len;

        h1 = h1.wrapping_add(h2).wrapping_add(h3).wrapping_add(h4);
        h2 = h2.wrapping_add(h1);
        h3 = h3.wrapping_add(h1);
        h4 = h4.wrapping_add(h1);

        h1 = fmix32(h1);
        h2 = fmix32(h2);
        h3 = fmix32(h3);
        h4 = fmix32(h4);

        h1 = h1.wrapping_add(h2).wrapping_add(h3).wrapping_add(h4);
        h2 = h2.wrapping_add(h1);
        h3 = h3.wrapping_add(h1);
        h4 = h4.wrapping_add(h1);

        [h1, h2, h3, h4]
    }
}

/// MurmurHash3_x86_128 of `data` with `seed` as the 32 lowercase hex digits that javascript-commons'
/// `hash128` (`murmur3_128_x86.ts`) returns: the words `h1`, `h2`, `h3`, `h4` of
/// [`murmur3_x86_128`], in that order, each as 8 zero-padded hex digits, most significant first.
///
/// So the first 64 bits of the hex string (its first 16 digits) are `(h1 << 32) | h2`; that is the
/// unsigned decimal that the fixture `murmur3-x86-128-uuids.csv` lists. (Read as a big-endian
/// 128-bit integer, the hex string is `h1 << 96 | h2 << 64 | h3 << 32 | h4`.)
/// For Split's impression de-duplication, `data` is the UTF-8 encoding of the impression key and
/// `seed` is 0.
#[must_use]
pub fn murmur3_x86_128_hex(data: &[u8], seed: u32) -> String {
    let mut out = String::with_capacity(32);
    for w in murmur3_x86_128(data, seed) {
        for shift in [28u32, 24, 20, 16, 12, 8, 4, 0] {
            let nibble = (w >> shift) & 0xf;
            out.push(char::from_digit(nibble, 16).unwrap_or('0'));
        }
    }
    out
}

#[cfg(test)]
mod streaming_tests {
    use super::*;

    #[test]
    fn pieces_hash_like_the_whole() {
        let data: Vec<u8> = (0..200u8).map(|i| i.wrapping_mul(37)).collect();
        for len in [0, 1, 15, 16, 17, 31, 33, 64, 199] {
            let whole = murmur3_x86_128(&data[..len], 7);
            for split in [1, 3, 5, 16, 40] {
                let mut h = Murmur3X86_128::new(7);
                for piece in data[..len].chunks(split) {
                    h.write(piece);
                }
                assert_eq!(h.finish(), whole, "len {len} in pieces of {split}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (key, seed as in the flag, murmur3_x86_32, bucket): rows of the official fixtures plus
    /// non-ASCII keys, every tail length 0..=3, and seeds at the int32 extremes.
    /// Expected values computed with javascript-commons' `murmur3.ts` under node.
    #[rustfmt::skip]
    const X86_32: &[(&str, i32, u32, u8)] = &[
        ("aUfEsdPN1twuEjff9Sl", 467569525, 2488980051, 52),
        ("cMQGLKXz", 467569525, 1405947, 48),
        ("00018112-7d59-46cf-b9e0-f8fa625aa20b", -52311562, 1820342142, 43),
        ("00018112-7d59-46cf-b9e0-f8fa625aa20b", 516558562, 3687293017, 18),
        ("", 0, 0, 1),
        ("", 1, 1364076727, 28),
        ("a", 467569525, 908961841, 42),
        ("a", -5, 437050520, 21),
        ("ab", -2147483648, 2930717163, 64),
        ("ab", 467569525, 1429313595, 96),
        ("abc", 2147483647, 2431055661, 62),
        ("abc", -1, 4236296879, 80),
        ("abcd", -5, 499131535, 36),
        ("abcd", 2147483647, 3703237567, 68),
        ("abcde", 123, 1233409349, 50),
        ("abcde", 0, 3902511862, 63),
        ("key", 2147483647, 2404740241, 42),
        ("key", -1, 1805980261, 62),
        ("ünï", 2147483647, 4063653812, 13),
        ("ünï", -1, 2117312208, 9),
        ("\u{1f600}", -2147483648, 2804938892, 93),
        ("\u{1f600}", 467569525, 3326376724, 25),
        ("日本語テキスト", 1, 3275747811, 12),
        ("日本語テキスト", -2147483648, 2281193740, 41),
        ("\u{10ffff}", -2147483648, 2874517023, 24),
        ("\u{10ffff}", 467569525, 3350671688, 89),
        ("a\u{0}b", 2147483647, 129104071, 72),
        ("a\u{0}b", -1, 3853098427, 28),
        (" spaced key ", -5, 3040859522, 23),
        (" spaced key ", 2147483647, 3827498243, 44),
        ("00018112-7d59-46cf-b9e0-f8fa625aa20b", -5, 17364798, 99),
        ("00018112-7d59-46cf-b9e0-f8fa625aa20b", 2147483647, 958506076, 77),
        ("Hello, world!", 123, 254410574, 75),
        ("Hello, world!", 0, 3224780355, 56),
        ("The quick brown fox jumps over the lazy dog", 2147483647, 3421900303, 4),
        ("The quick brown fox jumps over the lazy dog", -1, 590642366, 67),
    ];

    #[test]
    fn x86_32_known_rows() {
        for &(key, seed, hash, b) in X86_32 {
            assert_eq!(murmur3_x86_32(key.as_bytes(), seed as u32), hash, "{key} {seed}");
            assert_eq!(bucket(key, seed), b, "{key} {seed}");
        }
    }

    #[test]
    fn x86_32_reference_vectors() {
        // Well-known MurmurHash3_x86_32 test vectors (SMHasher / common test suites).
        assert_eq!(murmur3_x86_32(b"", 0), 0);
        assert_eq!(murmur3_x86_32(b"", 1), 0x514e_28b7);
        assert_eq!(murmur3_x86_32(b"", 0xffff_ffff), 0x81f1_6f39);
        assert_eq!(murmur3_x86_32(&[0xff, 0xff, 0xff, 0xff], 0), 0x7629_3b50);
        assert_eq!(murmur3_x86_32(&[0x21, 0x43, 0x65, 0x87], 0), 0xf55b_516b);
        assert_eq!(murmur3_x86_32(&[0x21, 0x43, 0x65, 0x87], 0x5082_edee), 0x2362_f9de);
        assert_eq!(murmur3_x86_32(&[0x21, 0x43, 0x65], 0), 0x7e4a_8634);
        assert_eq!(murmur3_x86_32(&[0x21, 0x43], 0), 0xa0f7_b07a);
        assert_eq!(murmur3_x86_32(&[0x21], 0), 0x7266_1cf4);
        assert_eq!(murmur3_x86_32(&[0, 0, 0, 0], 0), 0x2362_f9de);
        assert_eq!(murmur3_x86_32(&[0, 0, 0], 0), 0x85f0_b427);
        assert_eq!(murmur3_x86_32(&[0, 0], 0), 0x30f4_c306);
        assert_eq!(murmur3_x86_32(&[0], 0), 0x514e_28b7);
        assert_eq!(murmur3_x86_32(b"Hello, world!", 0x9747_b28c), 0x2488_4cba);
        assert_eq!(murmur3_x86_32(b"The quick brown fox jumps over the lazy dog", 0x9747_b28c), 0x2fa8_26cd);
    }

    #[test]
    fn bucket_range_and_spec_examples() {
        assert_eq!(bucket("key", 123), 38);
        assert_eq!(bucket("ünï", -5), 3);
        for seed in [i32::MIN, -1, 0, 1, i32::MAX] {
            for key in ["", "a", "ab", "abc", "abcd", "😀", "\u{10FFFF}"] {
                assert!((1..=100).contains(&bucket(key, seed)));
            }
        }
    }

    /// (key, seed as u32, hash128 hex), from javascript-commons' `murmur3_128_x86.ts` `hash128`
    /// under node: non-ASCII keys, and every tail length 0..=15 over one and two 16-byte blocks.
    #[rustfmt::skip]
    const X86_128: &[(&str, u32, &str)] = &[
        ("", 0, "00000000000000000000000000000000"),
        ("", 7, "0d45d85efb848988fb848988fb848988"),
        ("", 4294967295, "051e08a9989d49f7989d49f7989d49f7"),
        ("a", 0, "a794933c5556b01b5556b01b5556b01b"),
        ("a", 7, "4572ec74984fd670984fd670984fd670"),
        ("a", 4294967295, "78bc24b190f0af0890f0af0890f0af08"),
        ("ab", 0, "158451df25be301025be301025be3010"),
        ("ab", 7, "67d7ddb0da61dd85da61dd85da61dd85"),
        ("ab", 4294967295, "bbe246cdcd9a354ccd9a354ccd9a354c"),
        ("abc", 0, "75cdc6d1a2b006a5a2b006a5a2b006a5"),
        ("abc", 7, "a0911a14b469ab8cb469ab8cb469ab8c"),
        ("abc", 4294967295, "d110201cb5400af6b5400af6b5400af6"),
        ("abcd", 0, "96b6ccaa45afc62e45afc62e45afc62e"),
        ("abcd", 7, "9515935d27124a2f27124a2f27124a2f"),
        ("abcd", 4294967295, "96e0578f5597fd305597fd305597fd30"),
        ("abcde", 0, "c5402efb5d24c5bc5a7201775a720177"),
        ("abcde", 7, "9dca30dea9ab07415b46d11e5b46d11e"),
        ("abcde", 4294967295, "bfbaef9a6ab45f979698ed359698ed35"),
        ("key", 0, "65da7ee6604b294d604b294d604b294d"),
        ("key", 7, "244680b531d83e5831d83e5831d83e58"),
        ("key", 4294967295, "c2d2fd08d6b02644d6b02644d6b02644"),
        ("ünï", 0, "2245b245c0dcd3209e20e8ee9e20e8ee"),
        ("ünï", 7, "21ff1dcc7b2ac7506ca84b056ca84b05"),
        ("ünï", 4294967295, "32131989baa8f138dbbcaab5dbbcaab5"),
        ("\u{1f600}", 0, "f0e2fa84701463f2701463f2701463f2"),
        ("\u{1f600}", 7, "f743a598120ecd08120ecd08120ecd08"),
        ("\u{1f600}", 4294967295, "a57318e0eb0a27abeb0a27abeb0a27ab"),
        ("日本語テキスト", 0, "230fb27163ccd1b77281a22478807278"),
        ("日本語テキスト", 7, "742bc9b2778bf52e09708783ee0c0af5"),
        ("日本語テキスト", 4294967295, "f96c8311cc454929742cc781812eb9bc"),
        ("\u{10ffff}", 0, "ba4c4a24202598f5202598f5202598f5"),
        ("\u{10ffff}", 7, "1e015ee95b640ef15b640ef15b640ef1"),
        ("\u{10ffff}", 4294967295, "e6944e9d6659b0896659b0896659b089"),
        ("a\u{0}b", 0, "a883e4ce085431da085431da085431da"),
        ("a\u{0}b", 7, "260fb953af22b6fdaf22b6fdaf22b6fd"),
        ("a\u{0}b", 4294967295, "b33db639b2174575b2174575b2174575"),
        (" spaced key ", 0, "6e929dd232d38c55b69abb12dc6a7389"),
        (" spaced key ", 7, "169f6b5dfea53b587171ca76f5f4eb4e"),
        (" spaced key ", 4294967295, "705d09394a18aea903e43717a7a21ab4"),
        ("00018112-7d59-46cf-b9e0-f8fa625aa20b", 0, "ba92b9e22da45ab9abd2d54cdd59b7f7"),
        ("00018112-7d59-46cf-b9e0-f8fa625aa20b", 7, "f7905146b127aec4838cb56140f669b4"),
        ("00018112-7d59-46cf-b9e0-f8fa625aa20b", 4294967295, "c313a00f63715671893769949287e495"),
        ("Hello, world!", 0, "26acdba7f0638dfc402b42630afdd4c3"),
        ("Hello, world!", 7, "4eb6ed0629e55503a9a05a7cb8c8eda4"),
        ("Hello, world!", 4294967295, "8d191775cbbc522330c75e10461b3d6b"),
        ("The quick brown fox jumps over the lazy dog", 0, "2f1583c3ecee2c675d7bf66ce5e91d2c"),
        ("The quick brown fox jumps over the lazy dog", 7, "461c020febefeaf9c2cfe8e558927875"),
        ("The quick brown fox jumps over the lazy dog", 4294967295, "79f8c68a072cae2dda074a46c7c7dbe4"),
        ("", 42, "af6d2cb695c80cba95c80cba95c80cba"),
        ("a", 42, "517b4f5294460fc694460fc694460fc6"),
        ("ab", 42, "d33999e782bc5a6482bc5a6482bc5a64"),
        ("abc", 42, "5bcf0fbe8741bbe98741bbe98741bbe9"),
        ("abcd", 42, "c4c3e662b5ddd2d4b5ddd2d4b5ddd2d4"),
        ("abcde", 42, "583d8e9f09f0e63bdeafe2a7deafe2a7"),
        ("abcdef", 42, "3ada56af86a9117fc9691239c9691239"),
        ("abcdefg", 42, "218d97b71193f6fdc329021bc329021b"),
        ("abcdefgh", 42, "8fa25d73b472606cf78bb83df78bb83d"),
        ("abcdefghi", 42, "c60274fd18290c7b31b946394f400945"),
        ("abcdefghij", 42, "23b100e2f1bd6c112f11c76006b33df5"),
        ("abcdefghijk", 42, "448e8960feceebcd6d663eb45db70807"),
        ("abcdefghijkl", 42, "ff5d9f50359b8f2b78e3adc2d06ada6f"),
        ("abcdefghijklm", 42, "25036234c48a898eb4c5c204abd0e578"),
        ("abcdefghijklmn", 42, "b1f90bc49816df7620a41ad8fae8f74d"),
        ("abcdefghijklmno", 42, "f39f4b16e6e96a2c449b40824267d2a5"),
        ("abcdefghijklmnop", 42, "3a3ab14e9feddf15d15afd29e6975eb0"),
        ("abcdefghijklmnopq", 42, "b3ea3c14eeb9e95201ac8ed27abb486e"),
        ("abcdefghijklmnopqr", 42, "d784a04144c98c0a9ce232188bce511c"),
        ("abcdefghijklmnopqrs", 42, "38c71d571e6edf7919c22f0270aac2ef"),
        ("abcdefghijklmnopqrst", 42, "1ae32e1cc184e0878b8d70bbd550db85"),
        ("abcdefghijklmnopqrstu", 42, "5dd8d8885f6736de80911ee36f0a6d07"),
        ("abcdefghijklmnopqrstuv", 42, "6a510b30b82a0d38d08c75fe1c662612"),
        ("abcdefghijklmnopqrstuvw", 42, "6eae6f22fe6bfbc1df96a5235c26636f"),
        ("abcdefghijklmnopqrstuvwx", 42, "174aaff753c41cea024c14fe2b015db5"),
        ("abcdefghijklmnopqrstuvwxy", 42, "14caa6317885021f82ee642b33c3072d"),
        ("abcdefghijklmnopqrstuvwxyz", 42, "acf85d33b054266b11f3ee299bccb27c"),
        ("abcdefghijklmnopqrstuvwxyza", 42, "edae0a4c06ed578df18e73a015407de3"),
        ("abcdefghijklmnopqrstuvwxyzab", 42, "86ceb9cec543eb98250d313c9f5923d3"),
        ("abcdefghijklmnopqrstuvwxyzabc", 42, "2e305f22f02c001bb4871cf967ff8574"),
        ("abcdefghijklmnopqrstuvwxyzabcd", 42, "1d657152df26842a053f3bc5d8f93522"),
        ("abcdefghijklmnopqrstuvwxyzabcde", 42, "cbd4f0d203148b31cd1290b228f31363"),
        ("abcdefghijklmnopqrstuvwxyzabcdef", 42, "98a87fef10626250938f47d44fe8e7c8"),
        ("abcdefghijklmnopqrstuvwxyzabcdefg", 42, "217b0d9fec0a2dbd97bb17718202ae9f"),
    ];

    #[test]
    fn x86_128_matches_js() {
        for &(key, seed, hex) in X86_128 {
            assert_eq!(murmur3_x86_128_hex(key.as_bytes(), seed), hex, "{key:?} {seed}");
        }
    }

    #[test]
    fn x86_128_hex_format() {
        let hex = murmur3_x86_128_hex(b"", 0);
        assert_eq!(hex, "00000000000000000000000000000000");
        let w = murmur3_x86_128(b"abc", 7);
        let hex = murmur3_x86_128_hex(b"abc", 7);
        assert_eq!(hex.len(), 32);
        assert_eq!(hex, format!("{:08x}{:08x}{:08x}{:08x}", w[0], w[1], w[2], w[3]));
        let first64 = (u64::from(w[0]) << 32) | u64::from(w[1]);
        assert_eq!(first64, u64::from_str_radix(&hex[..16], 16).unwrap());
    }
}

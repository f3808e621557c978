//! Finding a chunk's commas, line ends and quotes 64 bytes at a time: one
//! pass builds three bit masks per 64-byte window, and the parser walks
//! their set bits instead of calling a search per field.
//!
//! A row of `bars.csv` has eleven short fields; one `memchr3` call per
//! field costs more in setup than in scanning. Here a window's masks are
//! built once (on x86-64 with SSE2 compares and byte-mask moves, the one
//! `unsafe` block of this file; elsewhere byte by byte), and the next
//! structural byte, or a line's remaining commas, are bit operations on
//! them.

/// The structural bytes of one 64-byte window: bit `i` is set when byte
/// `i` of the window is a comma, a line feed or a quote.
#[derive(Clone, Copy, Default)]
struct Masks {
    comma: u64,
    line: u64,
    quote: u64,
}

/// Bit `i` set when `window[i] == c`, byte by byte (the reference, and
/// the path on targets without SSE2).
#[cfg(any(test, not(target_arch = "x86_64")))]
fn eq_mask_portable(window: &[u8; 64], c: u8) -> u64 {
    let mut m = 0u64;
    for (i, &b) in window.iter().enumerate() {
        m |= u64::from(b == c) << i;
    }
    m
}

impl Masks {
    #[cfg(any(test, not(target_arch = "x86_64")))]
    fn of_portable(window: &[u8; 64]) -> Masks {
        Masks {
            comma: eq_mask_portable(window, b','),
            line: eq_mask_portable(window, b'\n'),
            quote: eq_mask_portable(window, b'"'),
        }
    }

    /// Four 16-byte compares per byte value and their byte masks (SSE2 is
    /// part of every x86-64 CPU).
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn of(window: &[u8; 64]) -> Masks {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
        };
        // SAFETY: SSE2 is enabled on every x86_64 target; the four unaligned
        // 16-byte loads read `window`'s 64 bytes and nothing beyond.
        unsafe {
            let p = window.as_ptr().cast::<__m128i>();
            let v = [
                _mm_loadu_si128(p),
                _mm_loadu_si128(p.add(1)),
                _mm_loadu_si128(p.add(2)),
                _mm_loadu_si128(p.add(3)),
            ];
            let mask = |c: u8| {
                let c = _mm_set1_epi8(c as i8);
                let mut m = 0u64;
                for (k, v) in v.iter().enumerate() {
                    let bits = _mm_movemask_epi8(_mm_cmpeq_epi8(*v, c)) as u32 as u64;
                    m |= bits << (16 * k);
                }
                m
            };
            Masks {
                comma: mask(b','),
                line: mask(b'\n'),
                quote: mask(b'"'),
            }
        }
    }

    #[cfg(not(target_arch = "x86_64"))]
    #[inline(always)]
    fn of(window: &[u8; 64]) -> Masks {
        Masks::of_portable(window)
    }
}

/// A forward cursor over a chunk's structural bytes; the masks of the
/// window last looked at are kept, so consecutive fields of a line (which
/// share a window) cost a few bit operations each.
pub(super) struct Scanner<'a> {
    text: &'a [u8],
    /// Start of the window whose masks are in `masks` (`usize::MAX`: none yet).
    base: usize,
    masks: Masks,
}

/// What ends a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stop {
    Comma,
    Line,
    Quote,
}

impl<'a> Scanner<'a> {
    pub(super) fn new(text: &'a [u8]) -> Scanner<'a> {
        Scanner {
            text,
            base: usize::MAX,
            masks: Masks::default(),
        }
    }

    /// Makes `masks` those of the window starting at `base` (a multiple of
    /// 64 below the text's length); a short last window is padded with
    /// zero bytes, which are not structural.
    #[inline(always)]
    fn window(&mut self, base: usize) -> Masks {
        if self.base != base {
            self.base = base;
            self.masks = match self.text.get(base..base + 64) {
                Some(w) => Masks::of(w.try_into().expect("64 bytes")),
                None => {
                    let mut w = [0u8; 64];
                    w[..self.text.len() - base].copy_from_slice(&self.text[base..]);
                    Masks::of(&w)
                }
            };
        }
        self.masks
    }

    /// The first comma, line feed or quote at or after `pos`, and which it is.
    #[inline]
    pub(super) fn next_stop(&mut self, pos: usize) -> Option<(usize, Stop)> {
        let mut base = pos & !63;
        let mut shift = pos - base;
        while base < self.text.len() {
            let m = self.window(base);
            let any = (m.comma | m.line | m.quote) >> shift;
            if any != 0 {
                let at = pos.max(base) + any.trailing_zeros() as usize;
                let bit = 1u64 << (at - base);
                let stop = if m.comma & bit != 0 {
                    Stop::Comma
                } else if m.line & bit != 0 {
                    Stop::Line
                } else {
                    Stop::Quote
                };
                return Some((at, stop));
            }
            base += 64;
            shift = 0;
        }
        None
    }

    /// From `pos` to the end of its line: the position of the line feed (or
    /// the text's length), the number of commas before it, and whether a
    /// quote occurs before it.
    #[inline]
    pub(super) fn rest_of_line(&mut self, pos: usize) -> (usize, usize, bool) {
        let (mut commas, mut quote) = (0, false);
        let mut base = pos & !63;
        let mut shift = pos - base;
        while base < self.text.len() {
            let m = self.window(base);
            // Bits at or after `pos` only (`shift` < 64).
            let from = u64::MAX << shift;
            let line = m.line & from;
            if line != 0 {
                // The bits below the first line feed at or after `pos`.
                let before = from & ((line & line.wrapping_neg()) - 1);
                commas += (m.comma & before).count_ones() as usize;
                quote |= m.quote & before != 0;
                return (base + line.trailing_zeros() as usize, commas, quote);
            }
            commas += (m.comma & from).count_ones() as usize;
            quote |= m.quote & from != 0;
            base += 64;
            shift = 0;
        }
        (self.text.len(), commas, quote)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain byte-by-byte answers the scanner must give.
    fn next_stop_naive(text: &[u8], pos: usize) -> Option<(usize, Stop)> {
        text[pos..].iter().enumerate().find_map(|(i, &b)| match b {
            b',' => Some((pos + i, Stop::Comma)),
            b'\n' => Some((pos + i, Stop::Line)),
            b'"' => Some((pos + i, Stop::Quote)),
            _ => None,
        })
    }

    fn rest_of_line_naive(text: &[u8], pos: usize) -> (usize, usize, bool) {
        let end = text[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(text.len(), |k| pos + k);
        let tail = &text[pos..end];
        (
            end,
            tail.iter().filter(|&&b| b == b',').count(),
            tail.contains(&b'"'),
        )
    }

    /// The SSE2 masks equal the byte-by-byte ones on every byte value.
    #[test]
    fn test_vector_masks_equal_the_portable_ones() {
        let mut window = [0u8; 64];
        // Over the 256 shifts every position holds every byte value once.
        let mut set = [0u32; 3];
        for shift in 0..=255u8 {
            for (i, b) in window.iter_mut().enumerate() {
                *b = (i as u8).wrapping_mul(37).wrapping_add(shift);
            }
            let (v, p) = (Masks::of(&window), Masks::of_portable(&window));
            assert_eq!((v.comma, v.line, v.quote), (p.comma, p.line, p.quote));
            for (n, m) in set.iter_mut().zip([v.comma, v.line, v.quote]) {
                *n += m.count_ones();
            }
        }
        assert_eq!(set, [64, 64, 64]);
    }

    #[test]
    fn test_hand_cases() {
        let text = b"2015-01-05,SH600000,1.5\n,,\"x\"\n";
        let mut s = Scanner::new(text);
        assert_eq!(s.next_stop(0), Some((10, Stop::Comma)));
        assert_eq!(s.next_stop(11), Some((19, Stop::Comma)));
        assert_eq!(s.next_stop(20), Some((23, Stop::Line)));
        assert_eq!(s.next_stop(24), Some((24, Stop::Comma)));
        assert_eq!(s.next_stop(26), Some((26, Stop::Quote)));
        assert_eq!(s.next_stop(30), None);
        assert_eq!(s.rest_of_line(0), (23, 2, false));
        assert_eq!(s.rest_of_line(24), (29, 2, true));
        assert_eq!(s.rest_of_line(23), (23, 0, false));
        // No line feed after the last line: the text's end.
        let mut s = Scanner::new(b"a,b");
        assert_eq!(s.rest_of_line(0), (3, 1, false));
        assert_eq!(s.next_stop(2), None);
        let mut s = Scanner::new(b"");
        assert_eq!(s.next_stop(0), None);
        assert_eq!(s.rest_of_line(0), (0, 0, false));
    }

    /// Every position of texts that cross several windows (lines longer and
    /// shorter than 64 bytes, structural bytes at a window's first and last
    /// byte), in forward order as the parser asks and in any order.
    #[test]
    fn test_agrees_with_a_byte_by_byte_scan() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for len in [1usize, 63, 64, 65, 127, 128, 129, 300, 1000] {
            for density in [2u64, 8, 40] {
                let text: Vec<u8> = (0..len)
                    .map(|_| match next() % (density * 3) {
                        0 => b',',
                        1 => b'\n',
                        2 => b'"',
                        _ => b'0' + (next() % 10) as u8,
                    })
                    .collect();
                let mut forward = Scanner::new(&text);
                for pos in 0..len {
                    assert_eq!(
                        forward.next_stop(pos),
                        next_stop_naive(&text, pos),
                        "{len} {pos}"
                    );
                    assert_eq!(forward.rest_of_line(pos), rest_of_line_naive(&text, pos));
                }
                let mut any = Scanner::new(&text);
                for _ in 0..len {
                    let pos = (next() % len as u64) as usize;
                    assert_eq!(any.next_stop(pos), next_stop_naive(&text, pos));
                    assert_eq!(any.rest_of_line(pos), rest_of_line_naive(&text, pos));
                }
            }
        }
    }
}

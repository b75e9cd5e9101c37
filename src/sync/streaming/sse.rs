//! A server-sent events parser (the WHATWG "event stream" format), fed bytes as they arrive.
//!
//! Lines end with LF, CRLF or CR; `field: value` lines (one optional space after the colon) build
//! an event, an empty line dispatches it, lines starting with `:` are comments. `data` lines are
//! joined with LF; `event` names the type (default `message`); `id` is kept; `retry` and unknown
//! fields are ignored. An event with no data is not dispatched. The bytes held for one event are
//! bounded: a longer event is dropped and reported, and parsing resumes at the next event.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The event type (`message` unless an `event` line named another).
    pub event: String,
    /// The `data` lines, joined with LF.
    pub data: String,
    /// The last `id` seen (kept across events, as the format says).
    pub id: Option<String>,
}

/// What the parser produced from a chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseItem {
    /// A complete event.
    Event(SseEvent),
    /// An event longer than the bound was dropped (its size so far, in bytes).
    Oversized(usize),
}

/// The parser's state between chunks.
#[derive(Debug, Clone)]
pub struct SseParser {
    /// Bytes of an incomplete line.
    line: Vec<u8>,
    /// The previous chunk ended with CR: a LF starting the next one belongs to that line end.
    after_cr: bool,
    event: String,
    data: String,
    has_data: bool,
    id: Option<String>,
    /// Bytes held for the current event (line and fields).
    held: usize,
    /// Skipping the rest of an oversized event, until its blank line.
    skipping: bool,
    /// Bytes of the current line, including those skipped.
    line_len: usize,
    max_event_bytes: usize,
}

/// The default bound on one event (flag definitions arrive inline, compressed: a few KB).
pub const DEFAULT_MAX_EVENT_BYTES: usize = 1 << 20;

impl Default for SseParser {
    fn default() -> Self {
        SseParser::new(DEFAULT_MAX_EVENT_BYTES)
    }
}

impl SseParser {
    /// A parser that drops events longer than `max_event_bytes`.
    #[must_use]
    pub fn new(max_event_bytes: usize) -> SseParser {
        SseParser {
            line: Vec::new(),
            after_cr: false,
            event: String::new(),
            data: String::new(),
            has_data: false,
            id: None,
            held: 0,
            skipping: false,
            line_len: 0,
            max_event_bytes,
        }
    }

    /// Feeds a chunk; returns the events it completed, in order.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<SseItem> {
        let mut out = Vec::new();
        for &byte in chunk {
            let after_cr = std::mem::replace(&mut self.after_cr, false);
            match byte {
                b'\n' if after_cr => {}
                b'\n' | b'\r' => {
                    self.after_cr = byte == b'\r';
                    let line = std::mem::take(&mut self.line);
                    let blank = std::mem::take(&mut self.line_len) == 0;
                    if let Some(item) = self.end_line(&line, blank) {
                        out.push(item);
                    }
                }
                _ => {
                    self.line_len = self.line_len.saturating_add(1);
                    self.held = self.held.saturating_add(1);
                    if self.held > self.max_event_bytes && !self.skipping {
                        self.skipping = true;
                        out.push(SseItem::Oversized(self.held));
                        self.reset_event();
                    }
                    if !self.skipping {
                        self.line.push(byte);
                    }
                }
            }
        }
        out
    }

    fn reset_event(&mut self) {
        self.line.clear();
        self.event.clear();
        self.data.clear();
        self.has_data = false;
    }

    fn end_line(&mut self, line: &[u8], blank: bool) -> Option<SseItem> {
        if blank && !self.skipping {
            return self.dispatch();
        }
        if self.skipping {
            if blank {
                self.skipping = false;
                self.held = 0;
            }
            return None;
        }
        let text = String::from_utf8_lossy(line);
        if text.starts_with(':') {
            return None;
        }
        let (field, value) = match text.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (text.as_ref(), ""),
        };
        match field {
            "event" => value.clone_into(&mut self.event),
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "id" if !value.contains('\0') => self.id = Some(value.to_owned()),
            _ => {}
        }
        None
    }

    fn dispatch(&mut self) -> Option<SseItem> {
        self.held = 0;
        let event = std::mem::take(&mut self.event);
        if !self.has_data {
            return None;
        }
        self.has_data = false;
        let data = std::mem::take(&mut self.data);
        let event = if event.is_empty() { "message".to_owned() } else { event };
        Some(SseItem::Event(SseEvent { event, data, id: self.id.clone() }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(items: Vec<SseItem>) -> Vec<(String, String)> {
        items
            .into_iter()
            .filter_map(|i| match i {
                SseItem::Event(e) => Some((e.event, e.data)),
                SseItem::Oversized(_) => None,
            })
            .collect()
    }

    #[test]
    fn events_fields_comments_and_line_ends() {
        let mut p = SseParser::default();
        let stream = b": heartbeat\n\nid: 1\nevent: error\ndata: {\"a\":\r\ndata:1}\r\n\r\ndata: x\rdata\r\rretry: 5\nfoo: bar\n\n";
        let got = events(p.push(stream));
        assert_eq!(
            got,
            [("error".into(), "{\"a\":\n1}".into()), ("message".into(), "x\n".into())],
            "CR, CRLF and LF end lines; `data` without a colon adds an empty line"
        );
    }

    #[test]
    fn chunks_split_anywhere_give_the_same_events() {
        let stream = "event: message\r\ndata: {\"k\":\"ü\"}\r\n\r\n: c\n\ndata: 2\n\n".as_bytes();
        let whole = events(SseParser::default().push(stream));
        for cut in 0..stream.len() {
            let mut p = SseParser::default();
            let (a, b) = stream.split_at(cut);
            let mut got = p.push(a);
            got.extend(p.push(b));
            assert_eq!(events(got), whole, "cut at {cut}");
        }
        assert_eq!(whole.len(), 2);
    }

    #[test]
    fn an_oversized_event_is_dropped_and_parsing_resumes() {
        let mut p = SseParser::new(16);
        let mut stream = b"data: ".to_vec();
        stream.extend(std::iter::repeat_n(b'x', 100));
        stream.extend(b"\ndata: more\n\ndata: ok\n\n");
        let items = p.push(&stream);
        assert!(matches!(items.first(), Some(SseItem::Oversized(17))));
        assert_eq!(events(items), [("message".into(), "ok".into())]);
    }

    #[test]
    fn the_id_carries_over_and_empty_events_are_not_dispatched() {
        let mut p = SseParser::default();
        let items = p.push(b"id: 7\n\nevent: x\n\ndata: a\n\n");
        assert_eq!(
            items,
            [SseItem::Event(SseEvent { event: "message".into(), data: "a".into(), id: Some("7".into()) })]
        );
    }
}

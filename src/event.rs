//! Events, the event queue and the simulation clock (DESIGN §2).
//!
//! Every event carries the time it becomes known (`ts_known`, a trading
//! day) and the phase of that day it belongs to. The queue pops events in
//! ascending `(ts_known, phase, priority, seq)`: `seq` is the insertion
//! counter, so ties are settled by the key, never by heap luck.
//!
//! Design notes: events are ordered by when they become known, not by when
//! they happened. A report for the quarter ending in March that is announced
//! on 20 April happens in March but is known from the trading day after
//! 20 April; ordering by `ts_known` is what makes look-ahead impossible by
//! construction. The [`Clock`] only moves forward and only the engine moves it.

use crate::data::{Date, DayIndex, IndustryId, SymbolId};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The four phases of a trading day, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Constituent and industry changes effective today, reports visible
    /// today, timers (retrain).
    PreOpen = 0,
    /// Orders queued earlier fill at today's open.
    Open = 1,
    /// Today's bars (one cross-section), marks to market, benchmark, and on
    /// rebalance days the strategy's decision.
    Close = 2,
    /// Orders queued for the next fill; daily records written.
    PostClose = 3,
}

/// A change of index membership, effective from `ts_known` (PreOpen).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConstituentChange {
    pub symbol: SymbolId,
    /// True when the symbol joins the index today, false when it left
    /// (its spell ended yesterday).
    pub joined: bool,
}

/// A change of industry classification, effective from `ts_known`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndustryChange {
    pub symbol: SymbolId,
    /// The new industry, or `None` when the classification ended.
    pub industry: Option<IndustryId>,
}

/// A reported fundamental value that became visible today.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReportVisible {
    pub symbol: SymbolId,
    pub field: u16,
    pub period_end: Date,
    pub announce_date: Date,
    pub value: f64,
}

/// Timers the engine schedules for itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Timer {
    /// Refit the alpha model on the history known now.
    Retrain,
    /// Decide new target weights at today's close.
    Rebalance,
}

/// Everything that can happen in the simulation.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Index membership changes effective today: of the universe index and,
    /// when it differs, of the benchmark index.
    Constituents {
        universe: Vec<ConstituentChange>,
        benchmark: Vec<ConstituentChange>,
    },
    /// Industry classification changes effective today.
    Industries(Vec<IndustryChange>),
    /// Fundamentals that became visible today.
    Reports(Vec<ReportVisible>),
    /// A scheduled timer.
    Timer(Timer),
    /// Fill the orders queued for today's open.
    FillAtOpen,
    /// Today's cross-section of bars (and factor exposures) arrives.
    Bars,
    /// Symbols whose last bar is today: holdings are liquidated at this close.
    Delistings(Vec<SymbolId>),
    /// Mark the portfolio to market at the close, update the benchmark.
    MarkToMarket,
    /// Fill orders at this close (fill = close), after the decision.
    FillAtClose,
    /// Write the day's records.
    Record,
}

/// The queue's sort key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct EventKey {
    pub ts_known: DayIndex,
    pub phase: Phase,
    pub priority: u8,
    pub seq: u64,
}

#[derive(Debug)]
struct Entry {
    key: EventKey,
    event: Event,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key.cmp(&other.key)
    }
}

/// A min-queue of events by `(ts_known, phase, priority, seq)`.
#[derive(Debug, Default)]
pub struct EventQueue {
    heap: BinaryHeap<Reverse<Entry>>,
    seq: u64,
}

impl EventQueue {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }
    /// Schedules `event`; returns its key.
    pub fn push(
        &mut self,
        ts_known: DayIndex,
        phase: Phase,
        priority: u8,
        event: Event,
    ) -> EventKey {
        let key = EventKey {
            ts_known,
            phase,
            priority,
            seq: self.seq,
        };
        self.seq += 1;
        self.heap.push(Reverse(Entry { key, event }));
        key
    }
    /// The next event if it is known on or before `now`.
    pub fn pop_due(&mut self, now: DayIndex) -> Option<(EventKey, Event)> {
        match self.heap.peek() {
            Some(Reverse(e)) if e.key.ts_known <= now => {
                let Reverse(e) = self.heap.pop().expect("peeked");
                Some((e.key, e.event))
            }
            _ => None,
        }
    }
    /// The key of the next event, if any.
    pub fn peek_key(&self) -> Option<EventKey> {
        self.heap.peek().map(|Reverse(e)| e.key)
    }
    /// Number of queued events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }
    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

/// The simulation clock: a trading day and a phase, forward only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    day: Option<DayIndex>,
    phase: Phase,
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock {
    /// A clock before the first day.
    pub fn new() -> Self {
        Clock {
            day: None,
            phase: Phase::PreOpen,
        }
    }
    /// The current day (None before the first event).
    pub fn day(&self) -> Option<DayIndex> {
        self.day
    }
    /// The current phase.
    pub fn phase(&self) -> Phase {
        self.phase
    }
    /// Moves the clock to `(day, phase)`.
    ///
    /// # Errors
    /// Moving backwards is a bug in the engine and is reported as an error.
    pub fn advance_to(&mut self, day: DayIndex, phase: Phase) -> crate::Result<()> {
        if let Some(now) = self.day {
            if (day, phase) < (now, self.phase) {
                return Err(crate::Error::Run(format!(
                    "clock moved backwards: from day {} {:?} to day {} {:?}",
                    now.0, self.phase, day.0, phase
                )));
            }
        }
        self.day = Some(day);
        self.phase = phase;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn phase_of(i: u8) -> Phase {
        [Phase::PreOpen, Phase::Open, Phase::Close, Phase::PostClose][usize::from(i % 4)]
    }

    #[test]
    fn test_queue_orders_by_key_not_insertion() {
        let mut q = EventQueue::new();
        q.push(DayIndex(1), Phase::Close, 0, Event::Bars);
        q.push(DayIndex(1), Phase::PreOpen, 0, Event::Timer(Timer::Retrain));
        q.push(DayIndex(0), Phase::PostClose, 0, Event::Record);
        q.push(DayIndex(1), Phase::Close, 0, Event::MarkToMarket);
        let mut got = Vec::new();
        while let Some((_, e)) = q.pop_due(DayIndex(1)) {
            got.push(e);
        }
        let expected = vec![
            Event::Record,
            Event::Timer(Timer::Retrain),
            Event::Bars,
            Event::MarkToMarket,
        ];
        assert_eq!(got, expected);
    }

    #[test]
    fn test_queue_holds_back_future_events() {
        let mut q = EventQueue::new();
        q.push(DayIndex(5), Phase::PreOpen, 0, Event::Record);
        assert!(q.pop_due(DayIndex(4)).is_none());
        assert!(q.pop_due(DayIndex(5)).is_some());
    }

    #[test]
    fn test_clock_refuses_to_go_back() {
        let mut c = Clock::new();
        c.advance_to(DayIndex(3), Phase::Close).unwrap();
        c.advance_to(DayIndex(3), Phase::Close).unwrap();
        assert!(c.advance_to(DayIndex(3), Phase::Open).is_err());
        assert!(c.advance_to(DayIndex(2), Phase::PostClose).is_err());
        c.advance_to(DayIndex(4), Phase::PreOpen).unwrap();
        assert_eq!(c.day(), Some(DayIndex(4)));
    }

    proptest! {
        #[test]
        fn test_queue_pops_non_decreasing(items in proptest::collection::vec((0u32..20, 0u8..4, 0u8..3), 0..200)) {
            let mut q = EventQueue::new();
            for (d, p, pr) in &items {
                q.push(DayIndex(*d), phase_of(*p), *pr, Event::Record);
            }
            let mut last: Option<EventKey> = None;
            let mut n = 0;
            while let Some((k, _)) = q.pop_due(DayIndex(u32::MAX)) {
                if let Some(l) = last {
                    prop_assert!(l < k);
                    prop_assert!((l.ts_known, l.phase) <= (k.ts_known, k.phase));
                }
                last = Some(k);
                n += 1;
            }
            prop_assert_eq!(n, items.len());
        }
    }
}

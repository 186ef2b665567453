//! Synthesis over WebSocket on any runtime: [`Client::synthesizer`] gives a [`Synthesizer`] whose
//! [`speak`](Synthesizer::speak) is a `Stream` of the audio as it is made, with word, punctuation and sentence
//! boundaries, bookmarks and visemes beside it; consecutive syntheses reuse one connection.
//!
//! The protocol is the core's ([`SynthesisSession`]); the WebSocket driver (shared with streaming recognition)
//! moves its frames. Polling the stream drives the connection.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::Stream;
use speech_proto::tts::stream::{
    is_last, Collector, SpeakRequest, Synthesis, SynthesisEvent, SynthesisSession,
    SynthesisSettings,
};

use crate::client::Client;
use crate::error::Error;
use crate::ws::{wall, Driver, Shared};

/// Syntheses over one WebSocket connection, one after another. Dropping it drops the connection.
pub struct Synthesizer {
    driver: Driver<SynthesisSession>,
    /// Syntheses whose events were left unread: skipped before the next one's.
    unread: usize,
}

/// The events of one synthesis, in order, ending with [`SynthesisEvent::Completed`] or
/// [`SynthesisEvent::Failed`]. Polling it drives the synthesis; dropping it early skips the rest (the synthesis
/// still runs to its end, read by the next one).
pub struct SynthesisEvents<'a> {
    inner: Pin<Box<dyn Stream<Item = SynthesisEvent> + Send + 'a>>,
}

impl Stream for SynthesisEvents<'_> {
    type Item = SynthesisEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<SynthesisEvent>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// A synthesis being read: counts itself unread when dropped before its end.
struct Reading<'a> {
    synthesizer: &'a mut Synthesizer,
    done: bool,
}

impl Drop for Reading<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.synthesizer.unread += 1;
        }
    }
}

impl Synthesizer {
    /// Synthesize: the events as they come, audio among them ([`SynthesisEvent::Audio`], in the request's wire
    /// format: raw audio for a `riff-*` format, whose header
    /// [`riff_header`](speech_proto::tts::stream::riff_header) makes).
    ///
    /// ```no_run
    /// # #[cfg(feature = "smol")]
    /// # fn main() -> Result<(), speech_async::Error> {
    /// use futures_util::StreamExt;
    /// use speech_async::speech_proto::tts::stream::{SpeakRequest, SynthesisEvent, SynthesisSettings};
    /// # use speech_async::speech_proto::{Credential, Endpoint};
    /// # let client = speech_async::Client::builder(Endpoint::region("westus")?, Credential::key("k")?)
    /// #     .runtime(speech_async::runtime::Smol)
    /// #     .build()?;
    /// smol::block_on(async {
    ///     let mut synthesizer = client.synthesizer(SynthesisSettings::default());
    ///     let request = SpeakRequest::text("en-US", "en-US-AvaMultilingualNeural", "Hello, world.")?;
    ///     let mut events = synthesizer.speak(request)?;
    ///     while let Some(event) = events.next().await {
    ///         if let SynthesisEvent::Boundary(b) = event {
    ///             println!("{} at {:?}", b.text, b.offset);
    ///         }
    ///     }
    ///     Ok(())
    /// })
    /// # }
    /// # #[cfg(not(feature = "smol"))]
    /// # fn main() {}
    /// ```
    ///
    /// # Errors
    ///
    /// The synthesizer is closed. Everything after that arrives as events: a failure is the last one,
    /// [`SynthesisEvent::Failed`].
    pub fn speak(&mut self, request: SpeakRequest) -> Result<SynthesisEvents<'_>, Error> {
        self.driver.shared.lock().session.speak(request)?;
        self.driver.shared.input.notify(usize::MAX);
        let reading = Reading {
            synthesizer: self,
            done: false,
        };
        let events = futures_util::stream::unfold(reading, |mut r| async move {
            if r.done {
                return None;
            }
            loop {
                let event = r.synthesizer.driver.next_event().await?;
                if !is_last(&event) {
                    if r.synthesizer.unread == 0 {
                        return Some((event, r));
                    }
                    continue;
                }
                if r.synthesizer.unread > 0 {
                    r.synthesizer.unread -= 1;
                    continue;
                }
                r.done = true;
                return Some((event, r));
            }
        });
        Ok(SynthesisEvents {
            inner: Box::pin(events),
        })
    }

    /// Synthesize and wait: the whole audio (with its RIFF header for a `riff-*` format) and the events.
    ///
    /// # Errors
    ///
    /// The synthesis failed ([`SynthesisEvent::Failed`]'s error), or its audio is over
    /// [`MAX_COLLECTED_AUDIO`](speech_proto::tts::stream::session::MAX_COLLECTED_AUDIO).
    pub async fn speak_collect(&mut self, request: SpeakRequest) -> Result<Synthesis, Error> {
        use futures_util::StreamExt;
        let mut collector = Collector::new(&request);
        let mut events = self.speak(request)?;
        while let Some(event) = events.next().await {
            if let Some(result) = collector.push(event) {
                return result.map_err(Error::from);
            }
        }
        Err(Error::Config(
            "the synthesizer's connection has ended".to_owned(),
        ))
    }
}

impl Client {
    /// A synthesizer over WebSocket: the connection opens at the first synthesis and is kept for the next ones.
    pub fn synthesizer(&self, settings: SynthesisSettings) -> Synthesizer {
        let seed = (u128::from(self.inner.clock.jitter().to_bits()) << 64)
            ^ u128::from(wall().0)
            ^ (std::sync::Arc::as_ptr(&self.inner) as usize as u128);
        let session = SynthesisSession::new(self.inner.endpoint.clone(), settings, seed);
        Synthesizer {
            driver: Driver::new(self, Shared::new(session)),
            unread: 0,
        }
    }
}

//! Streaming recognition over WebSocket on any runtime: [`Client::listen`] gives an [`AudioSink`] (a
//! `futures_io::AsyncWrite` of raw PCM) and an [`EventStream`] (a `Stream` of [`StreamEvent`]s).
//!
//! The protocol is the core's ([`StreamSession`]); the WebSocket driver (shared with synthesis) moves its frames.
//! There is no background task: polling the event stream drives the session (sending audio, reading the
//! service), so it works on any executor — keep polling it while audio is written.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::Stream;
use speech_proto::stt::stream::{StreamEvent, StreamRequest, StreamSession, StreamSettings};

use crate::client::Client;
use crate::error::Error;
use crate::ws::{wall, Driver, Shared};

/// Where a streaming session's audio goes: raw PCM (16-bit little-endian, the request's rate and channels,
/// 16 kHz mono by default), as a `futures_io::AsyncWrite`. A write waits while the session holds as much audio as
/// it may ([`StreamSettings::max_buffered`]); `close` (or [`finish`](AudioSink::finish), or dropping the sink)
/// says the audio is over.
pub struct AudioSink {
    shared: Arc<Shared<StreamSession>>,
}

impl AudioSink {
    /// No more audio: the session ends once the service has answered for all of it.
    pub fn finish(&mut self) {
        self.shared.lock().session.finish_audio();
        self.shared.input.notify(usize::MAX);
    }
}

impl futures_io::AsyncWrite for AudioSink {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let mut state = self.shared.lock();
        if state.session.is_ended() {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the streaming session has ended",
            )));
        }
        let n = state.session.push_audio(buf);
        if n == 0 {
            state.writer = Some(cx.waker().clone());
            return Poll::Pending;
        }
        drop(state);
        self.shared.input.notify(usize::MAX);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.finish();
        Poll::Ready(Ok(()))
    }
}

impl Drop for AudioSink {
    fn drop(&mut self) {
        self.finish();
    }
}

/// The events of a streaming session, in order, ending with [`StreamEvent::SessionEnded`]. Polling it drives the
/// session; dropping it stops the session.
pub struct EventStream {
    inner: Pin<Box<dyn Stream<Item = StreamEvent> + Send>>,
}

impl Stream for EventStream {
    type Item = StreamEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<StreamEvent>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl Client {
    /// Start streaming recognition: returns where to write the audio and the events. Poll the events (that is
    /// what drives the session) while writing.
    ///
    /// ```no_run
    /// # #[cfg(feature = "smol")]
    /// # fn main() -> Result<(), speech_async::Error> {
    /// use futures_util::{AsyncWriteExt, StreamExt};
    /// use speech_async::speech_proto::stt::stream::{StreamEvent, StreamRequest, StreamSettings};
    /// # use speech_async::speech_proto::{Credential, Endpoint};
    /// # let client = speech_async::Client::builder(Endpoint::region("westus")?, Credential::key("k")?)
    /// #     .runtime(speech_async::runtime::Smol)
    /// #     .build()?;
    /// # let pcm: Vec<u8> = Vec::new();
    /// smol::block_on(async {
    ///     let (mut audio, mut events) = client.listen(StreamRequest::new("en-US"), StreamSettings::default())?;
    ///     let writer = async move {
    ///         let _ = audio.write_all(&pcm).await; // 16 kHz mono s16le
    ///         let _ = audio.close().await;
    ///     };
    ///     let reader = async {
    ///         while let Some(event) = events.next().await {
    ///             if let StreamEvent::Phrase(p) = event {
    ///                 println!("{}", p.display_text().unwrap_or_default());
    ///             }
    ///         }
    ///     };
    ///     futures_util::join!(writer, reader);
    ///     Ok(())
    /// })
    /// # }
    /// # #[cfg(not(feature = "smol"))]
    /// # fn main() {}
    /// ```
    ///
    /// # Errors
    ///
    /// A request whose language or audio format cannot be used. Everything after that (the handshake's
    /// status, closes, a lost connection that could not be re-established) arrives as the last event,
    /// [`StreamEvent::SessionEnded`] with [`EndReason::Error`](speech_proto::stt::stream::EndReason::Error).
    pub fn listen(
        &self,
        request: StreamRequest,
        settings: StreamSettings,
    ) -> Result<(AudioSink, EventStream), Error> {
        let seed = (u128::from(self.inner.clock.jitter().to_bits()) << 64)
            ^ u128::from(wall().0)
            ^ (Arc::as_ptr(&self.inner) as usize as u128);
        let session = StreamSession::new(self.inner.endpoint.clone(), request, settings, seed)?;
        let shared = Shared::new(session);
        let driver = Driver::new(self, shared.clone());
        let events = futures_util::stream::unfold(driver, |mut d| async move {
            let event = d.next_event().await?;
            Some((event, d))
        });
        Ok((
            AudioSink { shared },
            EventStream {
                inner: Box::pin(events),
            },
        ))
    }
}

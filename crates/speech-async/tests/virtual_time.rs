//! The client on virtual time: a runtime whose clock only moves when the test says, and whose sleeps end when
//! the clock passes their deadline. Connections are real (smol's), to the emulator.

mod common;

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use futures_util::future::join;
use speech_async::unversioned::{BoxConnection, BoxFuture, Runtime, Target};
use speech_async::{runtime, RetryPolicy};

use common::*;

/// Virtual time shared by the test and the client.
#[derive(Clone)]
struct VirtualTime {
    state: Arc<Mutex<State>>,
}

struct State {
    now: Instant,
    /// Every sleep asked for, in order.
    asked: Vec<Duration>,
    /// Tasks to wake when time moves or a sleep is asked for.
    wakers: Vec<Waker>,
}

impl VirtualTime {
    fn new() -> Self {
        VirtualTime {
            state: Arc::new(Mutex::new(State {
                now: Instant::now(),
                asked: Vec::new(),
                wakers: Vec::new(),
            })),
        }
    }

    fn advance(&self, by: Duration) {
        let wakers = {
            let mut state = self.state.lock().unwrap();
            state.now += by;
            std::mem::take(&mut state.wakers)
        };
        wakers.into_iter().for_each(Waker::wake);
    }

    /// Completes once the client has asked for a sleep of at least `min`.
    fn asked_for(&self, min: Duration) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(move |cx| {
            let mut state = self.state.lock().unwrap();
            if state.asked.iter().any(|d| *d >= min) {
                Poll::Ready(())
            } else {
                state.wakers.push(cx.waker().clone());
                Poll::Pending
            }
        })
    }
}

struct Sleep {
    time: VirtualTime,
    until: Instant,
}

impl Future for Sleep {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.time.state.lock().unwrap();
        if state.now >= self.until {
            Poll::Ready(())
        } else {
            state.wakers.push(cx.waker().clone());
            Poll::Pending
        }
    }
}

impl Runtime for VirtualTime {
    fn now(&self) -> Instant {
        self.state.lock().unwrap().now
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        let wakers = {
            let mut state = self.state.lock().unwrap();
            state.asked.push(duration);
            std::mem::take(&mut state.wakers)
        };
        // Whoever waits in `asked_for` looks again.
        wakers.into_iter().for_each(Waker::wake);
        Box::pin(Sleep {
            time: self.clone(),
            until: self.now() + duration,
        })
    }

    fn connect(&self, target: &Target) -> BoxFuture<'static, io::Result<BoxConnection>> {
        runtime::Smol.connect(target)
    }
}

#[test]
fn the_token_is_refreshed_at_nine_minutes_without_waiting() {
    let emu = emulator();
    let time = VirtualTime::new();
    let client = client_builder(&SmolFlavor, &emu)
        .runtime(time.clone())
        .build()
        .unwrap();
    smol::block_on(async {
        client.voices().await.unwrap();
        assert_eq!(client.token_fetches(), 1);
        time.advance(Duration::from_secs(8 * 60));
        client.voices().await.unwrap();
        assert_eq!(client.token_fetches(), 1, "still fresh at 8 minutes");
        time.advance(Duration::from_secs(61));
        client.voices().await.unwrap();
        assert_eq!(client.token_fetches(), 2, "refreshed past 9 minutes");
        client.voices().await.unwrap();
        assert_eq!(client.token_fetches(), 2, "the refreshed token is used");
    });
    assert_eq!(seen(&emu, TOKEN_PATH).len(), 2);
    let voices: Vec<_> = seen(&emu, VOICES_PATH).iter().map(|r| r.status).collect();
    assert_eq!(voices, vec![Some(200); 4]);
}

#[test]
fn a_retry_after_of_an_hour_passes_when_the_clock_is_advanced() {
    let emu = emulator();
    let time = VirtualTime::new();
    let client = client_builder(&SmolFlavor, &emu)
        .runtime(time.clone())
        .retry(RetryPolicy::default().max_retry_after(Duration::from_secs(2 * 3600)))
        .build()
        .unwrap();
    smol::block_on(async {
        client.voices().await.unwrap();
        // One request per hour: the next one is answered 429 with a Retry-After of about an hour.
        emu.faults().set_quota(1, Duration::from_secs(3600));
        client.voices().await.unwrap();
        let call = client.voices();
        let clock = async {
            time.asked_for(Duration::from_secs(3000)).await;
            // The client sleeps on virtual time; the emulator's window is real time, so lift the quota.
            emu.faults().clear();
            time.advance(Duration::from_secs(3600));
        };
        let (result, ()) = join(call, clock).await;
        result.unwrap();
    });
    let voices: Vec<_> = seen(&emu, VOICES_PATH).iter().map(|r| r.status).collect();
    assert_eq!(voices, vec![Some(200), Some(200), Some(429), Some(200)]);
}

struct SmolFlavor;

impl Flavor for SmolFlavor {
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        smol::block_on(f)
    }
    fn runtime(&self) -> Arc<dyn Runtime> {
        Arc::new(runtime::Smol)
    }
    fn builder(
        &self,
        endpoint: speech_async::speech_proto::Endpoint,
        credential: speech_async::speech_proto::Credential,
        _ca: Option<&str>,
    ) -> speech_async::ClientBuilder {
        speech_async::Client::builder(endpoint, credential).runtime(runtime::Smol)
    }
}

//! HTTPS with the generated certificate.

mod common;

use common::*;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;

#[tokio::test]
async fn https_with_the_exposed_ca() {
    let emu = builder().tls(true).start().await.expect("start");
    assert!(
        emu.base_url().starts_with("https://localhost:"),
        "{}",
        emu.base_url()
    );
    let ca = emu.ca_cert_pem().expect("CA with TLS");
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"));
    let connector = tls_connector(Some(&ca));
    for name in ["localhost", "127.0.0.1"] {
        let tcp = TcpStream::connect(emu.addr()).await.expect("connect");
        let server_name = ServerName::try_from(name.to_owned()).expect("server name");
        let mut tls = connector
            .connect(server_name, tcp)
            .await
            .expect("TLS handshake");
        let (_, session) = tls.get_ref();
        assert_eq!(session.alpn_protocol(), None::<&[u8]>);
        let r = Req::post("/sts/v1.0/issueToken")
            .key(KEY)
            .send_on(&mut tls)
            .await;
        assert_eq!(r.status, 200, "{name}");
        // Keep-alive over TLS: a recognition on the same connection.
        let r = stt("language=en-US", speech_wav(100, 400))
            .send_on(&mut tls)
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["RecognitionStatus"], "Success");
    }
}

#[tokio::test]
async fn untrusted_or_plain_clients_fail() {
    let emu = builder().tls(true).start().await.expect("start");
    // Without the CA the handshake fails.
    let tcp = TcpStream::connect(emu.addr()).await.expect("connect");
    let server_name = ServerName::try_from("localhost").expect("server name");
    assert!(tls_connector(None).connect(server_name, tcp).await.is_err());
    // The CA of another emulator is no help.
    let other = builder().tls(true).start().await.expect("start");
    let tcp = TcpStream::connect(emu.addr()).await.expect("connect");
    let server_name = ServerName::try_from("localhost").expect("server name");
    let wrong_ca = other.ca_cert_pem().expect("CA");
    assert!(tls_connector(Some(&wrong_ca))
        .connect(server_name, tcp)
        .await
        .is_err());
    // Plain HTTP to the TLS port gets no HTTP answer.
    let mut tcp = TcpStream::connect(emu.addr()).await.expect("connect");
    tokio::io::AsyncWriteExt::write_all(
        &mut tcp,
        &Req::post("/sts/v1.0/issueToken").key(KEY).bytes(),
    )
    .await
    .expect("write");
    assert!(read_response(&mut tcp).await.is_err());
    // Without TLS there is no CA.
    assert!(emulator().await.ca_cert_pem().is_none());
}

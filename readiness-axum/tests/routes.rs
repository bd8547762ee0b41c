//! The routes over real HTTP on loopback.

use readiness_core::{CheckKind, CheckSpec, Outcome, Readiness};

async fn serve(readiness: Readiness) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, readiness_axum::routes::<()>(readiness)).await.unwrap() });
    format!("http://{address}")
}

#[tokio::test]
async fn readiness_answers_health_json_with_the_status_code() {
    let readiness = readiness_core::testing::builder()
        .check_fn(CheckSpec::new("db:ping").critical(), |_| async { Outcome::fail("refused") })
        .check_fn(CheckSpec::new("process:up").kind(CheckKind::Liveness), |_| async { Outcome::pass() })
        .build()
        .unwrap();
    let base = serve(readiness).await;
    let response = reqwest::get(format!("{base}/readiness")).await.unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["content-type"], "application/health+json");
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "fail");
    assert_eq!(body["checks"]["db:ping"][0]["status"], "fail");
    assert!(!body.to_string().contains("refused"), "anonymous callers must not see outputs");

    let liveness = reqwest::get(format!("{base}/liveness")).await.unwrap();
    assert_eq!(liveness.status(), 200);
    let body: serde_json::Value = liveness.json().await.unwrap();
    assert!(body["checks"].get("db:ping").is_none());
    assert_eq!(reqwest::get(format!("{base}/startup")).await.unwrap().status(), 503);
}

#[tokio::test]
async fn a_reused_body_follows_every_change_of_the_results() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::time::Duration;

    let healthy = Arc::new(AtomicBool::new(true));
    let runs = Arc::new(AtomicUsize::new(0));
    let (flag, counter) = (Arc::clone(&healthy), Arc::clone(&runs));
    let readiness = readiness_core::testing::builder()
        .max_jitter(Duration::ZERO)
        .check_fn(CheckSpec::new("dep:flip").critical().interval(Duration::from_millis(50)), move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
            let ok = flag.load(Ordering::SeqCst);
            async move { if ok { Outcome::pass() } else { Outcome::fail("down") } }
        })
        .build()
        .unwrap();
    let base = serve(readiness.clone()).await;
    let get = |path: &'static str| {
        let url = format!("{base}{path}");
        async move { reqwest::get(url).await.unwrap() }
    };
    while runs.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    for _ in 0..5 {
        assert_eq!(get("/readiness").await.status(), 200);
    }
    healthy.store(false, Ordering::SeqCst);
    let seen = runs.load(Ordering::SeqCst);
    while runs.load(Ordering::SeqCst) < seen + 2 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let response = get("/readiness").await;
    assert_eq!(response.status(), 503);
    assert!(response.text().await.unwrap().contains(r#""dep:flip":[{"status":"fail"}]"#));
    healthy.store(true, Ordering::SeqCst);
    let seen = runs.load(Ordering::SeqCst);
    while runs.load(Ordering::SeqCst) < seen + 2 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(get("/readiness").await.status(), 200);
    readiness.begin_shutdown();
    assert_eq!(get("/readiness").await.status(), 503, "shutdown must not be hidden by a reused body");
    assert_eq!(get("/liveness").await.status(), 200);
}

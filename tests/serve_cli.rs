//! The `wgtf serve` binary: it prints its address, drains the requests in flight on SIGTERM and
//! exits 0 (SIGINT too); and the deploy files (Dockerfile, Kubernetes, KServe) agree with the
//! CLI: their arguments parse as `wgtf serve`'s, their ports and probe paths are the server's.
mod serve_util;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use clap::Parser;
use serve_util::*;
use wgtf::image::{read_image, ImageOptions};
use wgtf::serve::ServeArgs;
use yaml_rust2::{Yaml, YamlLoader};

/// Starts `wgtf serve` on a free loopback port; returns it with its address (read from stdout).
fn spawn(args: &[&str]) -> (Child, std::net::SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wgtf"))
        .args(["serve", "--port", "0"])
        .args(args)
        .current_dir(root())
        .stdout(Stdio::piped())
        .env("RUST_LOG", "warn")
        .stderr(Stdio::inherit())
        .spawn()
        .expect("wgtf serve starts");
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(out).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(Duration::from_secs(120)).expect("wgtf serve prints its address within 2 minutes");
    let addr = line.trim().rsplit("http://").next().and_then(|a| a.parse().ok()).unwrap_or_else(|| panic!("no address in '{line}'"));
    (child, addr)
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill").args([sig, &child.id().to_string()]).status().expect("kill runs").success();
    assert!(ok, "kill {sig} failed");
}

/// Waits for the process to exit, for at most `limit`.
fn exit_status(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let end = Instant::now() + limit;
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        if Instant::now() > end {
            let _ = child.kill();
            panic!("wgtf serve did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn sigterm_finishes_the_requests_in_flight_then_exits_0() {
    let (mut child, addr) = spawn(&["--model", "selfie=models/selfie/model.json"]);
    let http = Http::new(addr);
    let file = "models/samples/astronaut.png";
    let body = format!("{{\"inputs\": {{\"b64\": \"{}\"}}}}", b64_file(file));
    let model = context(false).load(root().join("models/selfie/model.json")).unwrap();
    let info = model.inputs().into_iter().next().unwrap();
    let x = read_image(root().join(file), &ImageOptions { resize: Some((256, 256)), ..Default::default() }, Some(&info)).unwrap();
    let want = bits(&model.run(&[("input_1:0", &x)], &["activation_10:0"]).unwrap()[0].to_f32_vec().unwrap());
    const N: usize = 6;
    let answers: Vec<Answer> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..N).map(|_| sc.spawn(|| http.post("/v1/models/selfie:predict", &body))).collect();
        // Every request is in the server (one runs, the others wait for the worker): then SIGTERM.
        let end = Instant::now() + Duration::from_secs(60);
        while metric(&http.get("/metrics").body, "wgtf_requests_in_flight", &[]).unwrap_or(0.0) < N as f64 {
            assert!(Instant::now() < end, "the requests never were all in flight");
            std::thread::sleep(Duration::from_millis(10));
        }
        signal(&child, "-TERM");
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for a in &answers {
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(bits(&floats(raw(&a.body, "outputs"))), want);
    }
    let status = exit_status(&mut child, Duration::from_secs(120));
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert!(http.try_get("/v2/health/live").is_err(), "still answering after exit");
}

#[test]
fn sigint_stops_an_idle_server_with_status_0() {
    let (mut child, addr) = spawn(&["--model", "digits=models/digits/model.pb", "--enable-batching"]);
    assert_eq!(Http::new(addr).get("/v2/health/ready").status, 200);
    signal(&child, "-INT");
    assert_eq!(exit_status(&mut child, Duration::from_secs(60)).code(), Some(0));
}

#[test]
fn precision_f16_serves_the_f16_model() {
    let (mut child, addr) = spawn(&["--model", "digits=models/digits/model.pb", "--precision", "f16"]);
    let x = digits(0, 4);
    let f16 = context(false)
        .load_with(root().join("models/digits/model.pb"), &wgtf::LoadOptions { precision: wgtf::Precision::F16, ..Default::default() })
        .unwrap();
    let want = f16.run(&[("x:0", &x)], &["probs:0"]).unwrap()[0].to_f32_vec().unwrap();
    let a = Http::new(addr).post("/v1/models/digits:predict", &format!("{{\"inputs\": {}}}", json_list(&x)));
    assert_eq!(a.status, 200, "{}", a.body);
    // The same kernels as the library's f16 model: the same bits.
    assert_eq!(bits(&floats(raw(&a.body, "outputs"))), bits(&want));
    signal(&child, "-TERM");
    assert_eq!(exit_status(&mut child, Duration::from_secs(60)).code(), Some(0));
}

#[test]
fn a_model_that_cannot_load_is_an_error_naming_it() {
    let out = Command::new(env!("CARGO_BIN_EXE_wgtf")).args(["serve", "--port", "0", "--model", "bad=no/such/model.pb"]).current_dir(root()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("model 'bad'") && err.contains("no/such/model.pb"), "{err}");
}

// --- deploy files ----------------------------------------------------------------------------

#[derive(Parser)]
struct Serve {
    #[command(flatten)]
    args: ServeArgs,
}

/// Parses arguments as `wgtf serve` does, and makes the configuration of them.
fn parse_serve(args: &[String]) -> ServeArgs {
    let s = Serve::try_parse_from(std::iter::once("wgtf serve".to_string()).chain(args.iter().cloned())).unwrap_or_else(|e| panic!("{args:?}: {e}"));
    s.args.to_config(None).unwrap_or_else(|e| panic!("{args:?}: {e}"));
    s.args
}

fn yaml(path: &str) -> Vec<Yaml> {
    YamlLoader::load_from_str(&std::fs::read_to_string(root().join(path)).unwrap()).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn doc<'a>(docs: &'a [Yaml], kind: &str) -> &'a Yaml {
    docs.iter().find(|d| d["kind"].as_str() == Some(kind)).unwrap_or_else(|| panic!("no {kind}"))
}

fn strings(y: &Yaml) -> Vec<String> {
    y.as_vec().unwrap_or_else(|| panic!("not a list: {y:?}")).iter().map(|a| a.as_str().map(String::from).or_else(|| a.as_i64().map(|i| i.to_string())).unwrap()).collect()
}

/// A container: its args parse, it listens on its declared port, its probes ask the health
/// endpoints on that port. Returns its port.
fn check_container(c: &Yaml, substitute: &[(&str, &str)]) -> u16 {
    let args: Vec<String> = strings(&c["args"]).into_iter().map(|a| substitute.iter().fold(a, |a, (k, v)| a.replace(k, v))).collect();
    let a = parse_serve(&args);
    assert_eq!(a.host, "0.0.0.0", "a container listens on every interface");
    let port = &c["ports"][0];
    assert_eq!(port["containerPort"].as_i64(), Some(a.port as i64));
    for (probe, path) in [("readinessProbe", "/v2/health/ready"), ("livenessProbe", "/v2/health/live")] {
        let g = &c[probe]["httpGet"];
        assert_eq!(g["path"].as_str(), Some(path), "{probe}");
        let p = &g["port"];
        assert!(p.as_i64() == Some(a.port as i64) || (p.as_str().is_some() && p.as_str() == port["name"].as_str()), "{probe} port {p:?}");
    }
    a.port
}

#[test]
fn deploy_files_match_the_cli() {
    // Dockerfile: the entrypoint is `wgtf serve`, its default arguments parse, the port is exposed.
    let df = std::fs::read_to_string(root().join("deploy/Dockerfile")).unwrap();
    let line = |k: &str| df.lines().find(|l| l.starts_with(k)).unwrap_or_else(|| panic!("no {k}")).trim_start_matches(k).trim().to_string();
    assert_eq!(line("ENTRYPOINT"), "[\"wgtf\", \"serve\"]");
    let cmd: Vec<String> = serde_json::from_str(&line("CMD")).unwrap();
    let a = parse_serve(&cmd);
    assert_eq!(line("EXPOSE"), a.port.to_string());
    assert!(df.contains("mesa-vulkan-drivers") && df.contains("/usr/local/bin/wgtf"));
    // Kubernetes: Deployment, Service, HorizontalPodAutoscaler.
    let k = yaml("deploy/kubernetes/wgtf.yaml");
    let dep = doc(&k, "Deployment");
    let pod = &dep["spec"]["template"];
    let c = &pod["spec"]["containers"][0];
    let port = check_container(c, &[]);
    assert_eq!(c["startupProbe"]["httpGet"]["path"].as_str(), Some("/v2/health/live"));
    assert_eq!(pod["metadata"]["annotations"]["prometheus.io/port"].as_str(), Some(port.to_string().as_str()));
    assert_eq!(pod["metadata"]["annotations"]["prometheus.io/path"].as_str(), Some("/metrics"));
    let svc = doc(&k, "Service");
    assert_eq!(svc["spec"]["selector"], pod["metadata"]["labels"]);
    assert_eq!(dep["spec"]["selector"]["matchLabels"], pod["metadata"]["labels"]);
    assert_eq!(svc["spec"]["ports"][0]["targetPort"].as_str(), c["ports"][0]["name"].as_str());
    let hpa = yaml("deploy/kubernetes/hpa.yaml");
    let hpa = doc(&hpa, "HorizontalPodAutoscaler");
    assert_eq!(hpa["spec"]["scaleTargetRef"]["kind"].as_str(), Some("Deployment"));
    assert_eq!(hpa["spec"]["scaleTargetRef"]["name"], dep["metadata"]["name"]);
    assert!(hpa["spec"]["minReplicas"].as_i64().unwrap() <= hpa["spec"]["maxReplicas"].as_i64().unwrap());
    // KServe: the runtime's container, and an InferenceService that uses it with a protocol it has.
    let rt = yaml("deploy/kserve/servingruntime.yaml");
    let rt = doc(&rt, "ServingRuntime");
    let isvc = yaml("deploy/kserve/inferenceservice.yaml");
    let isvc = doc(&isvc, "InferenceService");
    let name = isvc["metadata"]["name"].as_str().unwrap();
    check_container(&rt["spec"]["containers"][0], &[("{{.Name}}", name)]);
    let m = &isvc["spec"]["predictor"]["model"];
    assert_eq!(m["runtime"], rt["metadata"]["name"]);
    assert!(strings(&rt["spec"]["protocolVersions"]).contains(&m["protocolVersion"].as_str().unwrap().to_string()));
    let formats: Vec<&str> = rt["spec"]["supportedModelFormats"].as_vec().unwrap().iter().filter_map(|f| f["name"].as_str()).collect();
    assert!(formats.contains(&m["modelFormat"]["name"].as_str().unwrap()));
    // The probe paths answer on a real server, and the CLI knows every flag the files use.
    let s = start(vec![model("digits", "models/digits/model.pb")], |_| {});
    let http = Http::new(s.addr());
    for p in ["/v2/health/ready", "/v2/health/live", "/metrics"] {
        assert_eq!(http.get(p).status, 200, "{p}");
    }
    s.stop().unwrap();
    let help = Command::new(env!("CARGO_BIN_EXE_wgtf")).args(["serve", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for flag in ["--host", "--port", "--model-name", "--model-base-path", "--enable-batching", "--max-batch-size", "--request-timeout-ms", "--model-config-file"] {
        assert!(help.contains(flag), "{flag} not in `wgtf serve --help`");
    }
}

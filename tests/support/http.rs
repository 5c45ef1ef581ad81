//! A blocking HTTP GET for tests that poke the test servers directly (reqwest on a throw-away
//! current-thread runtime; proxies from the environment are ignored).

/// A response, read whole.
#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}), status {}: {}", self.status, self.text()))
    }
}

/// `GET url` with the given request headers.
pub fn get(url: &str, headers: &[(&str, &str)]) -> HttpResponse {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("client runtime");
    runtime.block_on(async {
        let client = reqwest::Client::builder().no_proxy().build().expect("http client");
        let mut request = client.get(url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap_or_else(|e| panic!("GET {url}: {e}"));
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.unwrap_or_else(|e| panic!("GET {url} body: {e}")).to_vec();
        HttpResponse { status, headers, body }
    })
}

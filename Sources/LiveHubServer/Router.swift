import HTTP1
import WebSocket

/// What a request leads to.
enum Route {
    case respond(HTTPResponse)
    /// A valid WebSocket handshake: send the 101 and hand the connection over.
    case upgrade(WebSocketEndpoint, HTTPResponse)
}

/// Maps method and path to an answer. Every error goes through `APIError`.
struct Router {
    let shared: ServerShared

    func route(_ request: HTTPRequest) -> Route {
        do {
            return try dispatch(request)
        } catch {
            return .respond(error.response)
        }
    }

    private func dispatch(_ request: HTTPRequest) throws(APIError) -> Route {
        let head = request.head
        let path = head.path
        switch path {
        case "/healthz":
            try require(head, "GET")
            return .respond(HTTPResponse(status: .ok, contentType: "application/json", body: "{\"status\":\"ok\"}"))
        case "/metrics":
            try require(head, "GET")
            return .respond(HTTPResponse(status: .ok, contentType: "text/plain; version=0.0.4",
                                         body: PrometheusExporter.render(shared)))
        case "/ws/echo" where shared.configuration.testEndpoints:
            return try upgrade(head, to: .echo)
        case "/ws/broadcast" where shared.configuration.testEndpoints:
            return try upgrade(head, to: .broadcast)
        default:
            throw .notFound(path)
        }
    }

    private func require(_ head: HTTPRequestHead, _ method: String) throws(APIError) {
        if head.method == method || (method == "GET" && head.method == "HEAD") { return }
        throw .methodNotAllowed(method == "GET" ? "GET, HEAD" : method)
    }

    private func upgrade(_ head: HTTPRequestHead, to endpoint: WebSocketEndpoint) throws(APIError) -> Route {
        switch WebSocketHandshake.response(to: head) {
        case .success(let response): return .upgrade(endpoint, response)
        case .failure(let error): throw APIError(error)
        }
    }
}

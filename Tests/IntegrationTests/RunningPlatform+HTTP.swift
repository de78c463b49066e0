import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP exchange with the gateway, as the identity flow tests read it.
struct HTTPExchange: Sendable {
    var status: Int
    var headers: [String: String]
    var body: Data

    /// The body as a JSON object (empty when it is not one).
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
    }

    /// `error.code` of an error body.
    var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }

    /// A header by name, case-insensitively.
    func header(_ name: String) -> String? {
        headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

extension RunningPlatform {
    /// Sends `method path` to the gateway with an optional raw JSON body and bearer token.
    func request(
        _ method: String, _ path: String, body: String? = nil, token: String? = nil
    ) async throws -> HTTPExchange {
        try await LocalHTTP(port: httpPort).request(method, path, body: body, token: token)
    }

    /// Sends `value` encoded as JSON.
    func request(
        _ method: String, _ path: String, json value: [String: Any], token: String? = nil
    ) async throws -> HTTPExchange {
        try await LocalHTTP(port: httpPort).request(method, path, json: value, token: token)
    }
}

/// HTTP requests to a gateway on 127.0.0.1:`port`.
struct LocalHTTP: Sendable {
    let port: Int

    func request(
        _ method: String, _ path: String, body: String? = nil, token: String? = nil
    ) async throws -> HTTPExchange {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.timeoutInterval = 15
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as? HTTPURLResponse
        var headers: [String: String] = [:]
        for (key, value) in http?.allHeaderFields ?? [:] { headers["\(key)"] = "\(value)" }
        return HTTPExchange(status: http?.statusCode ?? 0, headers: headers, body: data)
    }

    /// Sends `value` encoded as JSON.
    func request(
        _ method: String, _ path: String, json value: [String: Any], token: String? = nil
    ) async throws -> HTTPExchange {
        let data = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])
        return try await request(method, path, body: String(decoding: data, as: UTF8.self), token: token)
    }
}

extension RunningPlatform {
    /// Starts the whole platform, waits until `/healthz` is 200, runs `body`, and stops it.
    /// A failure of `body` is recorded with the tail of `logOf`'s log.
    static func withHealthy(
        logOf service: String = "identity", environment: [String: String] = [:],
        _ body: (RunningPlatform) async throws -> Void
    ) async throws {
        let platform = try await RunningPlatform.start(environment: environment)
        do {
            let up = await platform.waitUntil(timeout: .seconds(60)) {
                (try? await platform.get("/healthz").status) == 200
            }
            try #require(up, "platform did not become healthy")
            try await body(platform)
        } catch {
            Issue.record("flow failed: \(error)\n\(service) log:\n\(platform.log(of: service).suffix(3000))")
        }
        await platform.stop()
    }
}

import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// What a provider call came to.
enum SendOutcome: Sendable, Equatable {
    /// Accepted; the provider's id of the message when it gives one.
    case sent(externalID: String?)
    /// Not sent; try again later (429, 5xx, throttling codes, connection refused).
    case retry(after: Duration?, reason: String)
    /// Refused for good (bad recipient, window closed, invalid template, ...).
    case failed(reason: String)
    /// The provider refused the channel's token (expired, revoked): the channel goes to error.
    case unauthorized(reason: String)
    /// The request may have reached the provider but no answer came back.
    case unknown(reason: String)
}

/// A message for a provider, built from a delivery row.
struct ProviderRequest: Sendable {
    var kind: String
    var recipient: String
    var text: String?
    var template: (name: String, language: String, parameters: [String])?
    var externalMessageID: String?
    /// Instagram: a human's reply past the 24-hour window (HUMAN_AGENT tag).
    var humanAgentTag = false
}

/// The WhatsApp Cloud, Instagram and Telegram send APIs over HTTP (base URLs are
/// configuration, so tests point them at local fakes).
struct ChannelProviders: Sendable {
    let configuration: DeliveryConfiguration
    let http: HTTPClient

    init(configuration: DeliveryConfiguration, http: HTTPClient = .shared) {
        self.configuration = configuration
        self.http = http
    }

    /// Sends `request` through the channel; every outcome is classified, nothing throws.
    func send(_ request: ProviderRequest, credentials: ChannelCredentials) async -> SendOutcome {
        switch credentials.type {
        case "whatsapp":
            guard let token = credentials.accessToken, let number = credentials.phoneNumberID, !number.isEmpty else {
                return .failed(reason: "the WhatsApp channel has no access token or phone number id")
            }
            let url =
                "\(configuration.whatsAppBaseURL)/\(configuration.graphAPIVersion)/\(Self.pathSegment(number))/messages"
            return await post(url, bearer: token, body: whatsAppBody(request), parse: Self.parseGraph)
        case "instagram":
            guard let token = credentials.accessToken else {
                return .failed(reason: "the Instagram channel has no access token")
            }
            let account = credentials.instagramAccountID.flatMap { $0.isEmpty ? nil : $0 } ?? "me"
            let url =
                "\(configuration.instagramBaseURL)/\(configuration.graphAPIVersion)/\(Self.pathSegment(account))/messages"
            var body: [String: Any] = ["recipient": ["id": request.recipient], "message": ["text": request.text ?? ""]]
            if request.humanAgentTag {
                body["messaging_type"] = "MESSAGE_TAG"
                body["tag"] = "HUMAN_AGENT"
            }
            return await post(url, bearer: token, body: body, parse: Self.parseGraph)
        case "telegram":
            guard let token = credentials.botToken else {
                return .failed(reason: "the Telegram channel has no bot token")
            }
            let url = "\(configuration.telegramBaseURL)/bot\(Self.pathSegment(token))/sendMessage"
            let chat: Any = Int64(request.recipient) ?? request.recipient
            return await post(
                url, bearer: nil, body: ["chat_id": chat, "text": request.text ?? ""], parse: Self.parseTelegram)
        default:
            return .failed(reason: "channel type \(credentials.type) has no outbound API")
        }
    }

    func whatsAppBody(_ request: ProviderRequest) -> [String: Any] {
        if request.kind == "mark_read" {
            return ["messaging_product": "whatsapp", "status": "read", "message_id": request.externalMessageID ?? ""]
        }
        var body: [String: Any] = [
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": request.recipient,
        ]
        if let template = request.template {
            var payload: [String: Any] = ["name": template.name, "language": ["code": template.language]]
            if !template.parameters.isEmpty {
                payload["components"] = [
                    ["type": "body", "parameters": template.parameters.map { ["type": "text", "text": $0] }]
                ]
            }
            body["type"] = "template"
            body["template"] = payload
        } else {
            body["type"] = "text"
            body["text"] = ["preview_url": false, "body": request.text ?? ""]
        }
        return body
    }

    private func post(
        _ url: String, bearer: String?, body: [String: Any],
        parse: @Sendable (Int, HTTPHeaders, Data) -> SendOutcome
    ) async -> SendOutcome {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        guard let data = try? JSONSerialization.data(withJSONObject: body) else {
            return .failed(reason: "the message could not be encoded")
        }
        request.body = .bytes(ByteBuffer(bytes: data))
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .milliseconds(configuration.httpTimeout.milliseconds))
        } catch {
            return Self.classify(error)
        }
        let bytes: ByteBuffer
        do {
            bytes = try await response.body.collect(upTo: 1 << 20)
        } catch {
            // The provider answered with a status; only the body was lost.
            return response.status.code < 300
                ? .sent(externalID: nil) : .retry(after: nil, reason: "provider answered \(response.status.code)")
        }
        return parse(Int(response.status.code), response.headers, Data(bytes.readableBytesView))
    }

    /// A transport error: one that happened before the request could reach the provider is
    /// retried; one after (a timeout waiting for the answer, a connection reset) leaves the
    /// outcome unknown.
    static func classify(_ error: any Error) -> SendOutcome {
        let text = String(describing: error)
        if error is NIOConnectionError || text.contains("connectTimeout") || text.contains("connection refused")
            || text.contains("Connection refused") || text.contains("ECONNREFUSED")
            || (error as? IOError)?.errnoCode == ECONNREFUSED
        {
            return .retry(after: nil, reason: "the provider could not be reached")
        }
        if let error = error as? HTTPClientError, error == .connectTimeout || error == .invalidURL {
            return error == .invalidURL
                ? .failed(reason: "the provider URL is not valid") : .retry(after: nil, reason: "connect timeout")
        }
        return .unknown(reason: "no answer from the provider (\(type(of: error)))")
    }

    /// Graph API (WhatsApp, Instagram): `messages[0].id` or `message_id` on success; the
    /// error object's `code` decides otherwise (Meta says to branch on it, not on HTTP status).
    static func parseGraph(status: Int, headers: HTTPHeaders, body: Data) -> SendOutcome {
        let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
        if (200..<300).contains(status) {
            let messages = object["messages"] as? [[String: Any]]
            let id = messages?.first?["id"] as? String ?? object["message_id"] as? String
            return .sent(externalID: id)
        }
        let error = object["error"] as? [String: Any] ?? [:]
        let code = (error["code"] as? Int) ?? -1
        let message = (error["message"] as? String).map { String($0.prefix(300)) } ?? "HTTP \(status)"
        let reason = code >= 0 ? "(#\(code)) \(message)" : message
        let retryAfter = retryAfter(headers)
        if status == 401 || code == 190 || code == 0 { return .unauthorized(reason: reason) }
        if [130429, 131056, 131057, 4, 80007, 1, 2, 131000, 613].contains(code) || status == 429 || status >= 500 {
            return .retry(after: retryAfter, reason: reason)
        }
        return .failed(reason: reason)
    }

    /// Telegram: `{"ok": true, "result": {"message_id"}}`, else `error_code`, `description`,
    /// `parameters.retry_after`.
    static func parseTelegram(status: Int, headers: HTTPHeaders, body: Data) -> SendOutcome {
        let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
        if (200..<300).contains(status), object["ok"] as? Bool == true {
            let result = object["result"] as? [String: Any]
            return .sent(externalID: (result?["message_id"] as? Int).map(String.init))
        }
        let code = object["error_code"] as? Int ?? status
        let description = (object["description"] as? String).map { String($0.prefix(300)) } ?? "HTTP \(status)"
        if code == 401 || status == 401 { return .unauthorized(reason: description) }
        if code == 429 || status == 429 || status >= 500 {
            let seconds = (object["parameters"] as? [String: Any])?["retry_after"] as? Int
            return .retry(after: seconds.map { .seconds($0) } ?? retryAfter(headers), reason: description)
        }
        return .failed(reason: description)
    }

    /// `Retry-After` in seconds (the HTTP-date form is rare from these APIs and ignored).
    static func retryAfter(_ headers: HTTPHeaders) -> Duration? {
        headers.first(name: "Retry-After").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }.map {
            .seconds(max(0, $0))
        }
    }

    /// A path segment with everything but unreserved characters (and `:` of bot tokens)
    /// percent-encoded.
    static func pathSegment(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~:")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}

extension Duration {
    /// Whole milliseconds.
    var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}

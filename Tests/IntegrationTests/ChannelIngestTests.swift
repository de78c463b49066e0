import Cryptography
import Foundation
import Logging
import Postgres
import Synchronization
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Channels and inbound callbacks through the real gateway and services: channel CRUD with
/// sealed secrets, Meta's handshake, signed WhatsApp payloads (text, media, statuses),
/// duplicates, bad signatures, Telegram's secret token, fifty concurrent first messages, web
/// chat, the console stream resumed with Last-Event-ID, and tenant isolation.
@Suite("Channels and inbound callbacks through the gateway", .serialized)
struct ChannelIngestTests {
    static let keys = "it:\(Base64.encode(SecureRandom.bytes(count: 32)))"

    @Test("channels, callbacks, web chat and the live stream, end to end")
    func channelIngestFlow() async throws {
        try await RunningPlatform.withHealthy(
            logOf: "conversations", environment: ["SMARTERCHAT_ENCRYPTION_KEYS": Self.keys]
        ) { try await run($0) }
    }

    /// An HTTP exchange with extra headers and a raw body.
    static func send(
        _ platform: RunningPlatform, _ method: String, _ path: String, body: String? = nil,
        headers: [String: String] = [:]
    ) async throws -> HTTPExchange {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(platform.httpPort)\(path)")!)
        request.httpMethod = method
        request.timeoutInterval = 20
        if let body { request.httpBody = Data(body.utf8) }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as? HTTPURLResponse
        var fields: [String: String] = [:]
        for (key, value) in http?.allHeaderFields ?? [:] { fields["\(key)"] = "\(value)" }
        return HTTPExchange(status: http?.statusCode ?? 0, headers: fields, body: data)
    }

    /// An agent of the token's organization (agents checks a channel's agent_id); a random id
    /// where the agents routes are not there.
    static func agent(_ platform: RunningPlatform, token: String) async throws -> String {
        let created = try await platform.request(
            "POST", "/api/v1/agents",
            json: ["name": "Ana", "personality": "p", "objective": "o", "system_message": "s"], token: token)
        return created.status == 201
            ? try #require(created.json["id"] as? String) : UUID().uuidString.lowercased()
    }

    static func signature(_ body: String, _ secret: String) -> String {
        "sha256=" + Hex.encode(Digest.hmac(.sha256, key: Array(secret.utf8), message: Array(body.utf8)))
    }

    static func whatsAppText(id: String, from: String, text: String) -> String {
        """
        {"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages",
        "value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881",
        "phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"\(from)"}],
        "messages":[{"from":"\(from)","id":"\(id)","timestamp":"1739321024","type":"text","text":{"body":"\(text)"}}]}}]}]}
        """
    }

    func run(_ platform: RunningPlatform) async throws {
        let database = PostgresClient(configuration: platform.database, logger: Logger(label: "ChannelIngestTests"))
        defer { Task { await database.close() } }
        func count(_ query: PostgresQuery, _ binds: [any PostgresEncodable]) async throws -> Int {
            Int(try await database.query(query, binds).firstRow?.decode(Int64.self, "n") ?? 0)
        }

        let ownerToken = try #require(
            (try await IdentityFlowTests.signUp(platform, slug: "ingest-a", email: "a@ingest.example")
                .json["tokens"] as? [String: Any])?["access_token"] as? String)
        let strangerToken = try #require(
            (try await IdentityFlowTests.signUp(platform, slug: "ingest-b", email: "b@ingest.example")
                .json["tokens"] as? [String: Any])?["access_token"] as? String)
        let agentID = try await Self.agent(platform, token: ownerToken)

        // A WhatsApp channel: 201, secrets shown only as "set".
        let created = try await platform.request(
            "POST", "/api/v1/channels",
            json: [
                "type": "whatsapp", "name": "Sales", "agent_id": agentID, "phone_number_id": "106540352242922",
                "config": ["access_token": "EAAG-token", "app_secret": "wa-secret", "verify_token": "wa-verify"],
            ], token: ownerToken)
        #expect(created.status == 201)
        let channel = created.json
        let channelID = try #require(channel["id"] as? String)
        let config = try #require(channel["config"] as? [String: Any])
        #expect(config["app_secret_set"] as? Bool == true && config["access_token_set"] as? Bool == true)
        #expect(!String(decoding: created.body, as: UTF8.self).contains("wa-secret"))
        let callback = "/webhooks/whatsapp/\(channelID)"
        #expect(channel["webhook_url"] as? String == callback)

        // Meta's handshake.
        let handshake = try await Self.send(
            platform, "GET", callback + "?hub.mode=subscribe&hub.verify_token=wa-verify&hub.challenge=8841")
        #expect(handshake.status == 200 && String(decoding: handshake.body, as: UTF8.self) == "8841")
        let refused = try await Self.send(
            platform, "GET", callback + "?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=8841")
        #expect(refused.status == 403)

        // A signed text: 200 once stored; the same again: 200, stored once.
        let text = Self.whatsAppText(id: "wamid.IT1", from: "16505551234", text: "hello there")
        let signed = ["X-Hub-Signature-256": Self.signature(text, "wa-secret"), "Content-Type": "application/json"]
        let first = try await Self.send(platform, "POST", callback, body: text, headers: signed)
        #expect(first.status == 200 && first.json["messages_stored"] as? Int == 1)
        let again = try await Self.send(platform, "POST", callback, body: text, headers: signed)
        #expect(again.status == 200 && again.json["duplicates"] as? Int == 1)
        let uuid = UUID(uuidString: channelID)!
        #expect(
            try await count(
                """
                SELECT count(*)::bigint AS n FROM conversations.messages m
                JOIN conversations.conversations c ON c.id = m.conversation_id WHERE c.channel_id = $1
                """, [uuid]) == 1)

        // The event reaches analytics without the text (it outlives no message's retention).
        @Sendable func analyticsRows() async throws -> [String] {
            try await database.query(
                """
                SELECT event_data::text AS data FROM analytics.analytics_events
                WHERE event_type = 'message.received' AND conversation_id IN
                    (SELECT id FROM conversations.conversations WHERE channel_id = $1)
                """, [uuid]
            ).map { try $0.decode(String.self, "data") }
        }
        _ = await platform.waitUntil(timeout: .seconds(10)) { (try? await analyticsRows().isEmpty) == false }
        let analyticsData = try await analyticsRows()
        #expect(analyticsData.count == 1)
        #expect(analyticsData.allSatisfy { !$0.contains("hello there") && !$0.contains("\"content\"") })
        #expect(analyticsData.allSatisfy { $0.contains("\"message_id\"") })

        // crm created the contact's lead (FindOrCreateLead, a service call) and it is linked.
        let leadRow = try await database.query(
            """
            SELECT c.lead_id, l.phone, l.source FROM conversations.conversations c
            JOIN crm.leads l ON l.id = c.lead_id WHERE c.channel_id = $1
            """, [uuid]
        ).firstRow
        #expect(try leadRow?.decode(String.self, "source") == "whatsapp")
        #expect(try leadRow?.decode(String?.self, "phone")?.hasSuffix("16505551234") == true)

        // Bad bodies on the channel and conversation routes: 400 with a JSON error, nothing changed.
        let conversationID = try #require(
            try await database.query(
                "SELECT id FROM conversations.conversations WHERE channel_id = $1", [uuid]
            ).firstRow?.decode(UUID.self, "id")
        ).uuidString.lowercased()
        let badBodies: [(String, String, [String])] = [
            ("POST", "/api/v1/channels", ["not json", "[1, 2]", #"{"type": 5, "name": true}"#, #"{"name": "x"}"#]),
            ("PATCH", "/api/v1/channels/\(channelID)", ["not json", "[1]", #"{"name": 7}"#, #"{"config": "x"}"#]),
            ("PATCH", "/api/v1/conversations/\(conversationID)", ["{", #"{"priority": 3}"#, #"{"mode": "robot"}"#]),
            ("POST", "/api/v1/conversations/\(conversationID)/messages", ["not json", #"{"content": 1}"#, "{}"]),
            ("POST", "/api/v1/conversations/\(conversationID)/transfer", ["[]", #"{"user_id": 12}"#, "{}"]),
        ]
        for (method, path, bodies) in badBodies {
            for body in bodies {
                let refused = try await platform.request(method, path, body: body, token: ownerToken)
                #expect(refused.status == 400, "\(method) \(path) \(body)")
                #expect(refused.json["error"] is [String: Any], "\(method) \(path) \(body)")
            }
        }
        let unchanged = try await platform.request("GET", "/api/v1/channels/\(channelID)", token: ownerToken)
        #expect(unchanged.json["name"] as? String == "Sales")
        let conversationAfter = try await platform.request(
            "GET", "/api/v1/conversations/\(conversationID)", token: ownerToken)
        #expect(conversationAfter.json["mode"] as? String == "ai")
        #expect(conversationAfter.json["priority"] as? String == "normal")
        #expect(
            try await count(
                "SELECT count(*)::bigint AS n FROM conversations.messages WHERE conversation_id = $1::uuid AND sender_type = 'user'",
                [conversationID]) == 0)

        // A bad or missing signature: 401, nothing stored.
        let forged = Self.whatsAppText(id: "wamid.FORGED", from: "16505550000", text: "forged")
        let bad = try await Self.send(
            platform, "POST", callback, body: forged, headers: ["X-Hub-Signature-256": Self.signature(forged, "guess")])
        let missing = try await Self.send(platform, "POST", callback, body: forged)
        #expect(bad.status == 401 && missing.status == 401)
        #expect(
            try await count(
                "SELECT count(*)::bigint AS n FROM conversations.inbound_receipts WHERE external_message_id = 'wamid.FORGED'",
                []) == 0)

        // Media and a status update of one of our messages.
        let image = """
            {"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
            "messaging_product":"whatsapp","metadata":{"phone_number_id":"106540352242922"},
            "contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234"}],
            "messages":[{"from":"16505551234","id":"wamid.IMG","timestamp":"1739321030","type":"image",
            "image":{"id":"1479537139650973","mime_type":"image/jpeg","sha256":"x=","caption":"look"}}]}}]}]}
            """
        let imaged = try await Self.send(
            platform, "POST", callback, body: image,
            headers: ["X-Hub-Signature-256": Self.signature(image, "wa-secret")])
        #expect(imaged.status == 200)
        #expect(
            try await count(
                "SELECT count(*)::bigint AS n FROM conversations.messages WHERE external_id = 'wamid.IMG' AND content_type = 'image'",
                []) == 1)
        try await database.execute(
            """
            INSERT INTO conversations.messages (conversation_id, sender_type, content, direction, status, external_id)
            SELECT id, 'ai', 'hi!', 'outbound', 'sent', 'wamid.OUT1' FROM conversations.conversations WHERE channel_id = $1
            """, [uuid])
        let status = """
            {"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
            "messaging_product":"whatsapp","metadata":{"phone_number_id":"106540352242922"},
            "statuses":[{"id":"wamid.OUT1","status":"delivered","timestamp":"1750857384","recipient_id":"16505551234"}]}}]}]}
            """
        let delivered = try await Self.send(
            platform, "POST", callback, body: status,
            headers: ["X-Hub-Signature-256": Self.signature(status, "wa-secret")])
        #expect(delivered.status == 200 && delivered.json["statuses_applied"] as? Int == 1)
        #expect(
            try await count(
                "SELECT count(*)::bigint AS n FROM conversations.messages WHERE external_id = 'wamid.OUT1' AND status = 'delivered' AND delivered_at IS NOT NULL",
                []) == 1)

        // Fifty concurrent first messages from one new contact: one conversation.
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<50 {
                group.addTask {
                    let body = Self.whatsAppText(id: "wamid.C\(index)", from: "5511900000001", text: "burst \(index)")
                    return try await Self.send(
                        platform, "POST", callback, body: body,
                        headers: ["X-Hub-Signature-256": Self.signature(body, "wa-secret")]
                    ).status
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.allSatisfy { $0 == 200 })
        #expect(
            try await count(
                "SELECT count(*)::bigint AS n FROM conversations.conversations WHERE channel_id = $1 AND contact_identifier = '5511900000001'",
                [uuid]) == 1)
        #expect(
            try await count(
                """
                SELECT count(*)::bigint AS n FROM conversations.messages m
                JOIN conversations.conversations c ON c.id = m.conversation_id
                WHERE c.channel_id = $1 AND c.contact_identifier = '5511900000001'
                """, [uuid]) == 50)

        // Telegram: the secret token header.
        let telegram = try await platform.request(
            "POST", "/api/v1/channels",
            json: [
                "type": "telegram", "name": "Bot", "agent_id": agentID,
                "config": ["bot_token": "123:ABC", "secret_token": "tg-secret_1"],
            ], token: ownerToken)
        #expect(telegram.status == 201)
        let telegramPath = "/webhooks/telegram/\(try #require(telegram.json["id"] as? String))"
        let update = """
            {"update_id":5001,"message":{"message_id":42,"date":1700000000,"from":{"id":111,"is_bot":false,
            "first_name":"Ana"},"chat":{"id":111,"type":"private","first_name":"Ana"},"text":"oi"}}
            """
        #expect(
            try await Self.send(
                platform, "POST", telegramPath, body: update, headers: ["X-Telegram-Bot-Api-Secret-Token": "wrong"]
            ).status == 401)
        #expect(
            try await Self.send(
                platform, "POST", telegramPath, body: update,
                headers: ["X-Telegram-Bot-Api-Secret-Token": "tg-secret_1"]
            ).status == 200)

        // Web chat: a session, a message, the session's events; CORS for the widget.
        let webchat = try await platform.request(
            "POST", "/api/v1/channels", json: ["type": "webchat", "name": "Site", "agent_id": agentID],
            token: ownerToken)
        #expect(webchat.status == 201)
        let publicID = try #require(webchat.json["public_id"] as? String)
        let session = try await Self.send(
            platform, "POST", "/webchat/\(publicID)/sessions", body: #"{"visitor_name":"Bia"}"#,
            headers: ["Origin": "https://shop.example.com", "Content-Type": "application/json"])
        #expect(session.status == 201 && session.header("Access-Control-Allow-Origin") == "*")
        let sessionToken = try #require(session.json["token"] as? String)
        let posted = try await Self.send(
            platform, "POST", "/webchat/\(publicID)/messages",
            body: #"{"text":"Do you deliver?","client_message_id":"c1"}"#,
            headers: ["Authorization": "Bearer \(sessionToken)"])
        #expect(posted.status == 201)
        #expect(
            try await Self.send(
                platform, "POST", "/webchat/\(publicID)/messages", body: #"{"text":"x"}"#,
                headers: ["Authorization": "Bearer wcs_forged"]
            ).status == 401)
        let preflight = try await Self.send(platform, "OPTIONS", "/webchat/\(publicID)/messages")
        #expect(
            preflight.status == 204
                && preflight.header("Access-Control-Allow-Headers")?.contains("authorization") == true)
        let visitorStream = try await EventStreamReader(
            "http://127.0.0.1:\(platform.httpPort)/webchat/\(publicID)/events?token=\(sessionToken)", headers: [:],
            seconds: 15
        ).text { $0.contains("Do you deliver?") }
        #expect(visitorStream.contains("event: message.received") && visitorStream.contains("Do you deliver?"))
        let widget = try await Self.send(platform, "GET", "/webchat/widget.js")
        #expect(widget.status == 200 && widget.header("Content-Type")?.contains("javascript") == true)

        // The console stream: every event from the start (Last-Event-ID 0), then a resume after
        // the third has no gaps. Each read ends once it has what it checks (at most 15 s).
        let streamURL = "http://127.0.0.1:\(platform.httpPort)/api/v1/stream"
        func console(_ headers: [String: String], until done: @escaping (String) -> Bool) async throws -> String {
            try await EventStreamReader(streamURL, headers: headers, seconds: 15).text(until: done)
        }
        let ids = eventIDs(
            try await console(["Authorization": "Bearer \(ownerToken)", "Last-Event-ID": "0"]) {
                eventIDs($0).count >= 55
            })
        #expect(ids.count >= 55)
        #expect(Set(ids).count == ids.count)
        // Opened without Last-Event-ID, the stream starts from now: a bare id field (the last
        // event so far, or a later one), no event of the history within the next second.
        let freshStream = try EventStreamReader(
            streamURL, headers: ["Authorization": "Bearer \(ownerToken)"], seconds: 15)
        #expect(await freshStream.opened())
        try await Task.sleep(for: .seconds(1))
        let fresh = await freshStream.text { _ in true }
        let freshIDs = eventIDs(fresh)
        let freshStart = try #require(freshIDs.first)
        #expect(fresh.hasPrefix("retry: 2000\n\nid: \(freshStart)\n\n"))
        #expect(Set(freshIDs.dropFirst()).isDisjoint(with: ids))
        let resumedIDs = eventIDs(
            try await console(["Authorization": "Bearer \(ownerToken)", "Last-Event-ID": "\(ids[2])"]) {
                eventIDs($0).count >= ids.count - 3
            })
        // Replies may add events meanwhile: the resumed stream continues exactly after id 3.
        #expect(Array(resumedIDs.prefix(ids.count - 3)) == Array(ids.dropFirst(3)))
        let strangerStream = try EventStreamReader(
            streamURL, headers: ["Authorization": "Bearer \(strangerToken)"], seconds: 15)
        #expect(await strangerStream.opened())
        try await Task.sleep(for: .seconds(1))
        #expect(!(await strangerStream.text { _ in true }).contains("id: "))

        // Tenant isolation: another organization sees none of it.
        #expect(try await platform.request("GET", "/api/v1/channels/\(channelID)", token: strangerToken).status == 404)
        #expect(
            try await platform.request(
                "PATCH", "/api/v1/channels/\(channelID)", json: ["name": "taken"], token: strangerToken
            ).status == 404)
        #expect(
            try await platform.request("DELETE", "/api/v1/channels/\(channelID)", token: strangerToken).status == 404)
        let strangerList = try await platform.request("GET", "/api/v1/channels", token: strangerToken)
        #expect((strangerList.json["channels"] as? [Any])?.isEmpty ?? true)
        #expect(try await platform.request("GET", "/api/v1/channels").status == 401)

        // A gateway stopping (SIGTERM) ends its open streams instead of waiting out their polls.
        let held = try EventStreamReader(streamURL, headers: ["Authorization": "Bearer \(ownerToken)"], seconds: 30)
        #expect(await held.opened())
        let stopping = ContinuousClock.now
        await platform.kill("gateway", signal: SIGTERM)
        #expect(ContinuousClock.now - stopping < .seconds(10))
        _ = await held.text()
        try platform.start("gateway")
        let back = await platform.waitUntil(timeout: .seconds(30)) {
            (try? await platform.get("/livez").status) == 200
        }
        try #require(back)

        // The owner deletes the channel: its callback is gone.
        #expect(try await platform.request("DELETE", "/api/v1/channels/\(channelID)", token: ownerToken).status == 204)
        let afterDelete = Self.whatsAppText(id: "wamid.LATE", from: "16505551234", text: "late")
        #expect(
            try await Self.send(
                platform, "POST", callback, body: afterDelete,
                headers: ["X-Hub-Signature-256": Self.signature(afterDelete, "wa-secret")]
            ).status == 404)

        // Junk callback and web chat ids: 404 before they cost a rate-limit bucket.
        for path in ["/webhooks/whatsapp/not-a-channel", "/webhooks/telegram/\(channelID)x"] {
            #expect(try await Self.send(platform, "POST", path, body: "{}").status == 404, "\(path)")
        }
        #expect(try await Self.send(platform, "GET", "/webhooks/whatsapp/1234").status == 404)
        for path in ["/webchat/wc_missing/sessions", "/webchat/\(publicID)x/messages"] {
            let junk = try await Self.send(
                platform, "POST", path, body: "{}", headers: ["Authorization": "Bearer wcs_x"])
            #expect(junk.status == 404 && junk.header("Access-Control-Allow-Origin") == "*", "\(path)")
        }
        // A message without a session token is refused before it costs the chat's budget.
        #expect(try await Self.send(platform, "POST", "/webchat/\(publicID)/messages", body: "{}").status == 401)

        try await streamEndsOnRevocation(platform, publicID: publicID, sessionToken: sessionToken)
    }
}

/// A Server-Sent Events response as curl reads it, within `seconds`: ``opened(within:)`` tells
/// when its first bytes came (from then on, the stream sends what is committed), ``text()``
/// is everything once it ended.
///
/// The reads block for as long as the stream lasts, so they run on a thread of their own, not
/// on one of the concurrency pool's (two on two cores), which the other suites need meanwhile.
final class EventStreamReader: @unchecked Sendable {
    private let process = Process()
    private let received = Mutex((bytes: Data(), ended: false))

    init(_ url: String, headers: [String: String], seconds: Int) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        var arguments = ["-sN", "--max-time", "\(seconds)"]
        for (name, value) in headers { arguments += ["-H", "\(name): \(value)"] }
        process.arguments = arguments + [url]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading
        Thread { [self] in
            while true {
                let chunk = output.availableData
                let ended = chunk.isEmpty
                self.received.withLock {
                    $0.bytes.append(chunk)
                    $0.ended = ended
                }
                if ended { return }
            }
        }.start()
    }

    /// Whether the stream's first bytes came within `timeout` (false at once if it ended without any).
    func opened(within timeout: Duration = .seconds(15)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let (bytes, ended) = received.withLock { ($0.bytes.count, $0.ended) }
            if bytes > 0 || ended { return bytes > 0 }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// Everything the stream sent, once curl ended it.
    func text() async -> String {
        while !received.withLock({ $0.ended }) { try? await Task.sleep(for: .milliseconds(20)) }
        await RunningPlatform.exit(of: process)
        return received.withLock { String(decoding: $0.bytes, as: UTF8.self) }
    }

    /// What the stream sent by the time `done` holds for it (or it ended, or curl's time ran
    /// out); the read is then ended.
    func text(until done: (String) -> Bool) async -> String {
        while true {
            let (text, ended) = received.withLock { (String(decoding: $0.bytes, as: UTF8.self), $0.ended) }
            if ended || done(text) {
                // SIGKILL: curl inherits a signal mask that blocks SIGTERM.
                if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
                await RunningPlatform.exit(of: process)
                return text
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// The `id:` fields of a Server-Sent Events text, in order.
func eventIDs(_ text: String) -> [Int64] {
    text.split(separator: "\n").filter { $0.hasPrefix("id: ") }.compactMap { Int64($0.dropFirst(4)) }
}

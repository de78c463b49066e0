import Foundation
import Logging
import Postgres
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The CRM through the real gateway and the real identity and crm processes: create, read,
/// edit, status and its timestamps, assignment, activities and timeline, list filters and
/// cursor pages, pipeline, CSV export and import, merge, the role matrix and tenant isolation.
@Suite("Lead flows through the gateway", .serialized)
struct LeadFlowTests {
    @Test("leads: CRUD, status, assignment, timeline, pages, pipeline, CSV, merge, roles, isolation")
    func leadFlow() async throws {
        try await RunningPlatform.withHealthy(logOf: "crm") { try await run($0) }
    }

    static func lead(_ exchange: HTTPExchange) -> [String: Any] {
        exchange.json["lead"] as? [String: Any] ?? [:]
    }

    func run(_ platform: RunningPlatform) async throws {
        let signUp = try await IdentityFlowTests.signUp(platform, slug: "crm-a", email: "ana@crm-a.example")
        let admin = try IdentityFlowTests.Tokens(signUp).access
        let strangerSignUp = try await IdentityFlowTests.signUp(platform, slug: "crm-b", email: "bob@crm-b.example")
        let stranger = try IdentityFlowTests.Tokens(strangerSignUp).access
        var tokens: [String: String] = [:]
        var userIDs: [String: String] = [:]
        for role in ["manager", "consultant"] {
            let invited = try await platform.request(
                "POST", "/api/v1/users", json: ["email": "\(role)@crm-a.example", "full_name": role, "role": role],
                token: admin)
            #expect(invited.status == 201)
            let accepted = try await platform.request(
                "POST", "/api/v1/auth/accept-invitation",
                json: [
                    "invitation_token": invited.json["invitation_token"] as? String ?? "",
                    "password": "a long password \(role)",
                ])
            tokens[role] = try IdentityFlowTests.Tokens(accepted).access
            userIDs[role] = (accepted.json["user"] as? [String: Any])?["id"] as? String
        }
        let manager = try #require(tokens["manager"]), consultant = try #require(tokens["consultant"])

        // Create (a consultant may): the phone becomes E.164, custom fields an object.
        let created = try await platform.request(
            "POST", "/api/v1/leads",
            json: [
                "name": "Joana Prado", "email": "Joana@Example.com", "phone": "(11) 98765-4321",
                "custom_fields": ["plan": "pro"], "tags": ["vip"],
            ], token: consultant)
        #expect(created.status == 201)
        let id = try #require(Self.lead(created)["id"] as? String)
        #expect(Self.lead(created)["phone"] as? String == "+5511987654321")
        #expect(Self.lead(created)["email"] as? String == "joana@example.com")
        #expect((Self.lead(created)["custom_fields"] as? [String: Any])?["plan"] as? String == "pro")
        let duplicate = try await platform.request(
            "POST", "/api/v1/leads", json: ["name": "Again", "phone": "5511987654321"], token: admin)
        #expect(duplicate.status == 409 && duplicate.errorCode == "already_exists")
        let bad = try await platform.request("POST", "/api/v1/leads", json: ["phone": "call me"], token: admin)
        #expect(bad.status == 400 && bad.errorCode == "invalid_argument")
        #expect(try await platform.request("POST", "/api/v1/leads", body: "[1]", token: admin).status == 400)

        // Edit: custom fields merge, tags replace.
        let patched = try await platform.request(
            "PATCH", "/api/v1/leads/\(id)", json: ["custom_fields": ["city": "SP"], "tags": ["vip", "fair"]],
            token: consultant)
        #expect(patched.status == 200)
        #expect(Self.lead(patched)["custom_fields"] as? [String: String] == ["plan": "pro", "city": "SP"])
        #expect(Self.lead(patched)["tags"] as? [String] == ["vip", "fair"])

        // Status: converted sets converted_at; lost clears it and sets lost_at.
        let converted = try await platform.request(
            "POST", "/api/v1/leads/\(id)/status", json: ["status": "converted"], token: consultant)
        #expect(converted.status == 200)
        #expect((Self.lead(converted)["converted_at"] as? String)?.isEmpty == false)
        let lost = try await platform.request(
            "POST", "/api/v1/leads/\(id)/status", json: ["status": "lost", "reason": "price"], token: consultant)
        #expect((Self.lead(lost)["converted_at"] as? String)?.isEmpty == true)
        #expect((Self.lead(lost)["lost_at"] as? String)?.isEmpty == false)
        let assigned = try await platform.request(
            "POST", "/api/v1/leads/\(id)/assign", json: ["user_id": userIDs["consultant"] ?? ""], token: manager)
        #expect(assigned.status == 200)
        #expect(Self.lead(assigned)["assigned_to_user_id"] as? String == userIDs["consultant"])
        // Identity decides who may be assigned: a stranger's id is refused.
        let unknown = try await platform.request(
            "POST", "/api/v1/leads/\(id)/assign", json: ["user_id": UUID().uuidString], token: manager)
        #expect(unknown.status == 400 && unknown.errorCode == "invalid_argument")
        let note = try await platform.request(
            "POST", "/api/v1/leads/\(id)/activities",
            json: ["type": "call", "title": "Called", "metadata": ["minutes": 5]], token: consultant)
        #expect(note.status == 201)
        let timeline = try await platform.request("GET", "/api/v1/leads/\(id)/timeline", token: consultant)
        let types = (timeline.json["activities"] as? [[String: Any]])?.compactMap { $0["type"] as? String }
        #expect(types == ["call", "assignment", "status_change", "status_change"])

        // More leads; pages of 2 give every lead once, newest first; filters narrow.
        for index in 0..<5 {
            let more = try await platform.request(
                "POST", "/api/v1/leads", json: ["name": "Lead \(index)", "temperature": index < 2 ? "hot" : "cold"],
                token: admin)
            #expect(more.status == 201)
        }
        var seen: [String] = []
        var cursor = ""
        repeat {
            let page = try await platform.request(
                "GET", "/api/v1/leads?limit=2" + (cursor.isEmpty ? "" : "&cursor=\(cursor)"), token: consultant)
            #expect(page.status == 200)
            seen += (page.json["leads"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
            cursor = page.json["next_cursor"] as? String ?? ""
        } while !cursor.isEmpty
        #expect(seen.count == 6 && Set(seen).count == 6 && seen.last == id)
        let hot = try await platform.request("GET", "/api/v1/leads?temperature=hot", token: consultant)
        #expect((hot.json["leads"] as? [Any])?.count == 2)
        let search = try await platform.request("GET", "/api/v1/leads?q=joana", token: consultant)
        #expect((search.json["leads"] as? [[String: Any]])?.first?["id"] as? String == id)
        #expect(try await platform.request("GET", "/api/v1/leads?limit=abc", token: consultant).status == 400)
        #expect(try await platform.request("GET", "/api/v1/leads?status=won", token: consultant).status == 400)
        let pipeline = try await platform.request("GET", "/api/v1/leads/pipeline", token: consultant)
        #expect(pipeline.json["total"] as? Int == 6)

        // Export (a manager may, a consultant may not), streamed CSV with every lead.
        #expect(try await platform.request("GET", "/api/v1/leads/export.csv", token: consultant).status == 403)
        let export = try await platform.request("GET", "/api/v1/leads/export.csv", token: manager)
        #expect(export.status == 200 && export.header("Content-Type")?.hasPrefix("text/csv") == true)
        let lines = String(decoding: export.body, as: UTF8.self).split(separator: "\r\n")
        #expect(lines.count == 7 && lines.first?.hasPrefix("id,name,email,phone") == true)

        // Import: good rows kept, bad ones reported.
        let csv = "name,phone,status\nRita,21 99999-0000,qualified\nBad,not a phone,\nSam,,won\n"
        let imported = try await platform.requestCSV("/api/v1/leads/import", csv: csv, token: manager)
        #expect(imported.status == 200)
        #expect(imported.json["imported"] as? Int == 1)
        #expect((imported.json["refused"] as? [[String: Any]])?.compactMap { $0["row"] as? Int } == [3, 4])
        #expect(try await platform.requestCSV("/api/v1/leads/import", csv: csv, token: consultant).status == 403)

        // Merge and delete need leads:manage.
        let twin = try await platform.request("POST", "/api/v1/leads", json: ["name": "Joana P."], token: admin)
        let twinID = try #require(Self.lead(twin)["id"] as? String)
        let mergeBody: [String: Any] = ["survivor_id": id, "merged_id": twinID]
        #expect(
            try await platform.request("POST", "/api/v1/leads/merge", json: mergeBody, token: consultant).status == 403)
        #expect(try await platform.request("DELETE", "/api/v1/leads/\(twinID)", token: consultant).status == 403)

        // Another organization: every route answers 404 for the lead and changes nothing.
        let before = try await platform.request("GET", "/api/v1/leads/\(id)", token: admin)
        let foreign: [(String, String, [String: Any]?)] = [
            ("GET", "/api/v1/leads/\(id)", nil), ("PATCH", "/api/v1/leads/\(id)", ["name": "Mine now"]),
            ("DELETE", "/api/v1/leads/\(id)", nil), ("POST", "/api/v1/leads/\(id)/status", ["status": "new"]),
            ("POST", "/api/v1/leads/\(id)/assign", ["user_id": ""]),
            ("POST", "/api/v1/leads/\(id)/activities", ["type": "note", "title": "x"]),
            ("GET", "/api/v1/leads/\(id)/timeline", nil), ("POST", "/api/v1/leads/merge", mergeBody),
        ]
        for (method, path, body) in foreign {
            let answer =
                if let body {
                    try await platform.request(method, path, json: body, token: stranger)
                } else {
                    try await platform.request(method, path, token: stranger)
                }
            #expect(answer.status == 404 && answer.errorCode == "not_found", "\(method) \(path)")
        }
        let strangerList = try await platform.request("GET", "/api/v1/leads", token: stranger)
        #expect((strangerList.json["leads"] as? [Any])?.isEmpty == true)
        let after = try await platform.request("GET", "/api/v1/leads/\(id)", token: admin)
        #expect(before.body == after.body)

        let merged = try await platform.request("POST", "/api/v1/leads/merge", json: mergeBody, token: manager)
        #expect(merged.status == 200 && Self.lead(merged)["id"] as? String == id)
        #expect(try await platform.request("GET", "/api/v1/leads/\(twinID)", token: admin).status == 404)
        // The lead events reach analytics through crm's outbox relay.
        let database = PostgresClient(configuration: platform.database, logger: Logger(label: "leads"))
        defer { Task { await database.close() } }
        let organizationID = try #require((signUp.json["organization"] as? [String: Any])?["id"] as? String)
        @Sendable func leadEvents() async throws -> Set<String> {
            Set(
                try await database.query(
                    "SELECT event_type FROM analytics.analytics_events WHERE organization_id = $1::uuid",
                    [organizationID]
                ).map { try $0.decode(String.self, "event_type") }.filter { $0.hasPrefix("lead.") })
        }
        let expected: Set<String> = [
            "lead.created", "lead.updated", "lead.status_changed", "lead.assigned", "lead.merged",
        ]
        let arrived = await platform.waitUntil(timeout: .seconds(10)) {
            (try? await leadEvents().isSuperset(of: expected)) == true
        }
        let delivered = (try? await leadEvents()) ?? []
        #expect(arrived, "lead events in analytics: \(delivered.sorted())")

        let deleted = try await platform.request("DELETE", "/api/v1/leads/\(id)", token: manager)
        #expect(deleted.status == 204)
        #expect(try await platform.request("GET", "/api/v1/leads/\(id)", token: admin).status == 404)
    }
}

extension RunningPlatform {
    /// POSTs a `text/csv` body.
    func requestCSV(_ path: String, csv: String, token: String) async throws -> HTTPExchange {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(httpPort)\(path)")!)
        request.httpMethod = "POST"
        request.httpBody = Data(csv.utf8)
        request.setValue("text/csv", forHTTPHeaderField: "Content-Type")
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as? HTTPURLResponse
        var headers: [String: String] = [:]
        for (key, value) in http?.allHeaderFields ?? [:] { headers["\(key)"] = "\(value)" }
        return HTTPExchange(status: http?.statusCode ?? 0, headers: headers, body: data)
    }
}

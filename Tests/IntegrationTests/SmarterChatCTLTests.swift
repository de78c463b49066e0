import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `smarterchatctl` as a developer uses it: `up` brings the platform up from nothing and takes
/// it down on a signal; `status` reads every service's health; `migrate` applies migrations.
@Suite("smarterchatctl", .serialized)
struct SmarterChatCTLTests {
    /// A private folder the `postgres` user can enter (initdb runs as it when we are root).
    static func workFolder() throws -> URL {
        let folder = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("smarterchat-ctl-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(
            at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        return folder
    }

    static func ctl(_ arguments: [String], output: URL) throws -> Process {
        let process = Process()
        process.executableURL = RunningPlatform.binDirectory.appendingPathComponent("smarterchatctl")
        process.arguments = arguments
        FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    static func status(_ port: Int) async -> Int {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/healthz")!)
        request.timeoutInterval = 2
        let response = try? await URLSession.shared.data(for: request).1 as? HTTPURLResponse
        return response?.statusCode ?? 0
    }

    /// The live child of `parent` whose executable is `name`, read from `/proc`.
    static func child(of parent: Int32, named name: String) -> Int32? {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = Int32(entry),
                let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 1, fields[0] != "Z", Int32(fields[1]) == parent,
                let command = try? String(contentsOfFile: "/proc/\(entry)/cmdline", encoding: .utf8),
                command.split(separator: "\0").first?.hasSuffix("/" + name) == true
            else { continue }
            return pid
        }
        return nil
    }

    static func postmasterRunning(_ data: URL) -> Bool {
        guard let text = try? String(contentsOf: data.appendingPathComponent("data/postmaster.pid"), encoding: .utf8),
            let pid = Int32(text.split(separator: "\n").first ?? "")
        else { return false }
        return kill(pid, 0) == 0
    }

    /// The demo web chat printed by `up` answers offline: a visitor's message gets an AI reply
    /// (the offline responder) that shows in the demo admin's inbox.
    static func demoWebChatAnswers(port: Int, log: String, loginBody: Data) async throws {
        let marker = "data-channel=\""
        let start = try #require(log.range(of: marker), "no web chat in the log:\n\(log.suffix(2000))")
        let publicID = String(log[start.upperBound...].prefix { $0 != "\"" })
        let platform = LocalHTTP(port: port)
        let session = try await platform.request("POST", "/webchat/\(publicID)/sessions", json: [:])
        #expect(session.status == 201, "\(String(decoding: session.body, as: UTF8.self))")
        let visitorToken = try #require(session.json["token"] as? String)
        let sent = try await platform.request(
            "POST", "/webchat/\(publicID)/messages",
            json: ["text": "Olá, quero saber o preço", "client_message_id": "m1"],
            token: visitorToken)
        #expect(sent.status == 201, "\(String(decoding: sent.body, as: UTF8.self))")
        let tokens = (try JSONSerialization.jsonObject(with: loginBody) as? [String: Any])?["tokens"] as? [String: Any]
        let admin = try #require(tokens?["access_token"] as? String)
        var answered = false
        let end = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < end, !answered {
            let inbox = try await platform.request("GET", "/api/v1/conversations", token: admin)
            let conversations = inbox.json["conversations"] as? [[String: Any]] ?? []
            answered = conversations.contains { ($0["ai_message_count"] as? Int ?? 0) >= 1 }
            if !answered { try await Task.sleep(for: .milliseconds(300)) }
        }
        #expect(answered, "the demo agent did not answer the web chat:\n\(log.suffix(2000))")
    }

    @Test("up starts PostgreSQL and the seven services; status sees them; SIGTERM stops everything")
    func upStatusAndShutdown() async throws {
        let work = try Self.workFolder()
        defer { try? FileManager.default.removeItem(at: work) }
        let port = try RunningPlatform.freePort()
        let data = work.appendingPathComponent("data")
        let run = work.appendingPathComponent("run")
        let up = try Self.ctl(
            ["up", "--data-dir", data.path, "--run-dir", run.path, "--http-port", "\(port)"],
            output: work.appendingPathComponent("up.log"))
        defer { if up.isRunning { kill(up.processIdentifier, SIGKILL) } }
        var healthy = false
        let end = ContinuousClock.now + .seconds(90)
        while ContinuousClock.now < end && up.isRunning {
            if await Self.status(port) == 200 {
                healthy = true
                break
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        let log = { (try? String(contentsOf: work.appendingPathComponent("up.log"), encoding: .utf8)) ?? "" }
        try #require(healthy, "platform did not become healthy:\n\(log().suffix(3000))")
        #expect(Self.postmasterRunning(data))
        #expect(log().contains("gateway"))

        // The demo organisation's login works through the gateway.
        let demoReady = ContinuousClock.now + .seconds(30)
        while !log().contains("Demo organisation ready") && ContinuousClock.now < demoReady {
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(log().contains("Demo organisation ready"), "\(log().suffix(2000))")
        var login = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/v1/auth/login")!)
        login.httpMethod = "POST"
        login.setValue("application/json", forHTTPHeaderField: "Content-Type")
        login.httpBody = Data(#"{"email": "demo@smarterchat.local", "password": "demo-password-2026"}"#.utf8)
        let (tokens, loginResponse) = try await URLSession.shared.data(for: login)
        #expect((loginResponse as? HTTPURLResponse)?.statusCode == 200, "\(String(decoding: tokens, as: UTF8.self))")
        try await Self.demoWebChatAnswers(port: port, log: log(), loginBody: tokens)

        let statusLog = work.appendingPathComponent("status.log")
        let status = try Self.ctl(["status", "--run-dir", run.path], output: statusLog)
        await RunningPlatform.exit(of: status)
        let table = (try? String(contentsOf: statusLog, encoding: .utf8)) ?? ""
        #expect(status.terminationStatus == 0, "status failed:\n\(table)")
        for service in ["identity", "agents", "conversations", "crm", "hooks", "analytics"] {
            #expect(
                table.contains("\(service) ")
                    && table.split(separator: "\n").contains { $0.hasPrefix(service) && $0.contains("serving") })
        }

        // A service that dies is restarted by `up`, and the platform is healthy again.
        let crm = try #require(Self.child(of: up.processIdentifier, named: "smarterchat-crm"))
        kill(crm, SIGKILL)
        var restarted: Int32?
        let restartEnd = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < restartEnd {
            if let pid = Self.child(of: up.processIdentifier, named: "smarterchat-crm"), pid != crm,
                await Self.status(port) == 200
            {
                restarted = pid
                break
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(restarted != nil, "crm was not restarted:\n\(log().suffix(2000))")
        #expect(log().contains("exited with status"))

        let children = up.processIdentifier
        kill(children, SIGTERM)
        let stopped = ContinuousClock.now + .seconds(30)
        while up.isRunning && ContinuousClock.now < stopped { try await Task.sleep(for: .milliseconds(100)) }
        #expect(!up.isRunning, "up did not exit after SIGTERM")
        #expect(up.terminationStatus == 0)
        #expect(!Self.postmasterRunning(data), "PostgreSQL still runs after up stopped")
        #expect(await Self.status(port) == 0, "the gateway still answers after up stopped")
        #expect(log().contains("stopping PostgreSQL"))

        let after = try Self.ctl(["status", "--run-dir", run.path], output: statusLog)
        await RunningPlatform.exit(of: after)
        #expect(after.terminationStatus != 0, "status reports success with every service stopped")
    }

    @Test("migrate creates the development database and applies every service's migrations, twice harmlessly")
    func migrate() async throws {
        let work = try Self.workFolder()
        defer { try? FileManager.default.removeItem(at: work) }
        let data = work.appendingPathComponent("data")
        for round in 1...2 {
            let output = work.appendingPathComponent("migrate-\(round).log")
            let migrate = try Self.ctl(["migrate", "--data-dir", data.path], output: output)
            await RunningPlatform.exit(of: migrate)
            let log = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            #expect(migrate.terminationStatus == 0, "round \(round):\n\(log.suffix(3000))")
            #expect(log.contains("migrated: identity, agents, conversations, crm, hooks, analytics"))
            #expect(!Self.postmasterRunning(data), "migrate left PostgreSQL running")
        }
    }
}

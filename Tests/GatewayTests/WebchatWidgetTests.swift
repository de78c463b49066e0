import Foundation
import Testing

@testable import GatewayService

/// The widget's script run by Node against a fake page (DOM, sessionStorage, fetch,
/// EventSource): a message the gateway refuses goes back into the input with a short line
/// saying why, and a 401 starts a new session and posts once more. Skipped where Node is not
/// installed; the static check below runs everywhere.
@Suite("The web chat widget")
struct WebchatWidgetTests {
    static let node = ["/usr/bin/node", "/usr/local/bin/node"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// An EventSource the widget opened: its session token and whether it was closed since.
    struct Stream: Decodable, Equatable {
        var token: String
        var closed: Bool
    }

    /// What the visitor sees after sending "  Olá, tudo bem?  " once, per scenario.
    struct Outcome: Decodable {
        var input: String
        var note: String
        var sessions: Int
        var posts: Int
        var authorizations: [String]
        var ids: [String]
        var texts: [String]
        var streams: [Stream]
        var saved: String?
    }

    static func run() throws -> [String: Outcome] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("widget-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = directory.appendingPathComponent("widget.js")
        let harness = directory.appendingPathComponent("harness.js")
        try WebchatWidget.script.write(to: script, atomically: true, encoding: .utf8)
        try Self.harness.write(to: harness, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(node))
        process.arguments = [harness.path, script.path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "node failed: \(String(decoding: data, as: UTF8.self))")
        return try JSONDecoder().decode([String: Outcome].self, from: data)
    }

    @Test(
        "a refused or failed message is put back with a short error line; a 401 renews the session once",
        .enabled(if: node != nil, "Node is not installed"))
    func keepsMessages() throws {
        let outcomes = try Self.run()
        let accepted = try #require(outcomes["accepted"])
        #expect(accepted.input.isEmpty && accepted.note.isEmpty && accepted.posts == 1)
        #expect(accepted.texts == ["Olá, tudo bem?"] && accepted.authorizations == ["Bearer wcs_one"])
        for name in ["serverError", "network", "expiredTwice", "noNewSession"] {
            let failed = try #require(outcomes[name])
            #expect(failed.input == "Olá, tudo bem?", "\(name)")
            #expect(failed.note == "Mensagem não enviada. Tente de novo.", "\(name)")
        }
        #expect(outcomes["limited"]?.note == "Muitas mensagens seguidas. Aguarde e tente de novo.")
        #expect(outcomes["limited"]?.input == "Olá, tudo bem?")
        #expect(outcomes["english"]?.note == "Message not sent. Please try again.")
        let renewed = try #require(outcomes["expired"])
        #expect(renewed.input.isEmpty && renewed.note.isEmpty && renewed.sessions == 2)
        #expect(renewed.authorizations == ["Bearer wcs_one", "Bearer wcs_two"])
        #expect(renewed.ids.count == 2 && renewed.ids[0] == renewed.ids[1])
        #expect(renewed.saved == "wcs_two")
        // The old session's stream is closed, the new one's is open.
        #expect(renewed.streams == [Stream(token: "wcs_one", closed: true), Stream(token: "wcs_two", closed: false)])
        // A second 401 is not retried again.
        #expect(outcomes["expiredTwice"]?.posts == 2 && outcomes["expiredTwice"]?.sessions == 2)
    }

    @Test("the script checks the response and handles 401")
    func scriptHandlesFailures() {
        #expect(WebchatWidget.script.contains("if (!r.ok)"))
        #expect(WebchatWidget.script.contains("r.status !== 401"))
        #expect(WebchatWidget.script.contains("input.value = text"))
    }

    static let harness = #"""
        // Runs the widget against fake DOM, storage, fetch and EventSource, one scenario at a time.
        const vm = require("vm");
        const fs = require("fs");
        const script = fs.readFileSync(process.argv[2], "utf8");

        function element() {
          const kids = {};
          let html = "";
          return {
            style: {}, textContent: "", value: "", listeners: {}, children: [], scrollHeight: 0,
            set innerHTML(h) { html = h; for (const m of h.matchAll(/data-(\w+)/g)) { kids[m[1]] = element(); } },
            get innerHTML() { return html; },
            querySelector(selector) { return kids[/\[data-(\w+)\]/.exec(selector)[1]] || null; },
            appendChild(child) { this.children.push(child); },
            addEventListener(type, handler) { this.listeners[type] = handler; },
          };
        }

        async function scenario(language, replies) {
          const storage = new Map();
          const requests = [];
          const sources = [];
          const body = element();
          const sandbox = {
            navigator: { language },
            document: {
              currentScript: { src: "https://chat.example/webchat/widget.js", getAttribute: () => "wc_abc" },
              createElement: element,
              body,
            },
            sessionStorage: {
              getItem: (k) => (storage.has(k) ? storage.get(k) : null),
              setItem: (k, v) => storage.set(k, String(v)),
              removeItem: (k) => storage.delete(k),
            },
            URL,
            EventSource: function (url) { this.url = url; this.closed = false; this.close = () => { this.closed = true; };
              this.addEventListener = () => {}; sources.push(this); },
            fetch: (url, options) => {
              const path = url.slice(url.lastIndexOf("/"));
              requests.push({ path, options });
              const next = (replies[path] || []).shift();
              if (next === undefined || next === "network") { return Promise.reject(new TypeError("network")); }
              const [status, json] = next;
              return Promise.resolve({ ok: status >= 200 && status < 300, status, json: () => Promise.resolve(json) });
            },
          };
          vm.runInNewContext(script, sandbox);
          const settle = async () => { for (let i = 0; i < 20; i++) { await new Promise((r) => setImmediate(r)); } };
          await settle();
          const box = body.children[0];
          const input = box.querySelector("[data-text]");
          const note = box.querySelector("[data-note]");
          input.value = "  Olá, tudo bem?  ";
          box.querySelector("[data-form]").listeners.submit({ preventDefault() {} });
          await settle();
          const posts = requests.filter((r) => r.path === "/messages");
          return {
            input: input.value, note: note.textContent, sessions: requests.filter((r) => r.path === "/sessions").length,
            posts: posts.length, authorizations: posts.map((r) => r.options.headers.authorization),
            ids: posts.map((r) => JSON.parse(r.options.body).client_message_id),
            texts: posts.map((r) => JSON.parse(r.options.body).text),
            streams: sources.map((s) => ({ token: s.url.split("token=")[1], closed: s.closed })),
            saved: storage.has("smarterchat:wc_abc") ? JSON.parse(storage.get("smarterchat:wc_abc")).token : null,
          };
        }

        const s1 = [201, { token: "wcs_one" }], s2 = [201, { token: "wcs_two" }];
        (async () => {
          const results = {
            accepted: await scenario("pt-BR", { "/sessions": [s1], "/messages": [[201, {}]] }),
            serverError: await scenario("pt-BR", { "/sessions": [s1], "/messages": [[503, {}]] }),
            limited: await scenario("pt-BR", { "/sessions": [s1], "/messages": [[429, {}]] }),
            english: await scenario("en-US", { "/sessions": [s1], "/messages": [[500, {}]] }),
            network: await scenario("pt-BR", { "/sessions": [s1], "/messages": ["network"] }),
            expired: await scenario("pt-BR", { "/sessions": [s1, s2], "/messages": [[401, {}], [201, {}]] }),
            expiredTwice: await scenario("pt-BR", { "/sessions": [s1, s2], "/messages": [[401, {}], [401, {}]] }),
            noNewSession: await scenario("pt-BR", { "/sessions": [s1, [503, {}]], "/messages": [[401, {}]] }),
          };
          process.stdout.write(JSON.stringify(results));
        })();
        """#
}

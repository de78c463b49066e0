// The leads list benchmark's client (bench/leads/run.sh): ListLeads over the crm service's
// Unix socket, as the gateway calls it (caller "gateway", an admin principal of one of the
// 100 generated organizations), with a mix of filters, full-text searches and later pages.
//
//   LeadsBench <runDir> <calls> [warm-up calls]
//
// Prints one JSON line: list_p50_ms, list_p99_ms, calls, per-scenario p99 and the average
// page size.
import Contracts
import Foundation
import Logging
import RPC

let arguments = CommandLine.arguments
guard arguments.count >= 3, let calls = Int(arguments[2]) else {
    print("usage: LeadsBench <runDir> <calls> [warm-up calls]")
    exit(2)
}
let warmUp = arguments.count > 3 ? Int(arguments[3]) ?? 200 : 200
var logger = Logger(label: "leads-bench")
logger.logLevel = .warning
let client = RPCClient(
    configuration: RPCClientConfiguration(serviceName: "crm", runDirectory: arguments[1], callerName: "gateway"),
    logger: logger)

/// Organization `o` (1...100) and its user `u` (0...9), as bench/leads/generate.sql makes them.
func organization(_ o: Int) -> String { "00000000-0000-4000-8000-" + hex(o, 12) }
func user(_ o: Int, _ u: Int) -> String { "00000000-0000-4000-9000-" + hex(o, 10) + hex(u, 2) }
func hex(_ value: Int, _ width: Int) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: width - digits.count) + digits
}

let names = [
    "ana", "maria", "joão", "pedro", "juliana", "camila", "carlos", "helena", "silva", "prado", "souza", "lima",
]
let statuses = ["new", "contacted", "qualified", "converted", "lost"]

/// One list request of scenario `kind` for organization `o`.
func request(_ kind: Int, _ o: Int, _ n: Int) -> CRM.ListLeadsRequest {
    switch kind {
    case 0: return CRM.ListLeadsRequest()
    case 1: return CRM.ListLeadsRequest(status: statuses[n % 5])
    case 2: return CRM.ListLeadsRequest(status: statuses[n % 5], temperature: ["hot", "warm", "cold"][n % 3])
    case 3: return CRM.ListLeadsRequest(assignedTo: user(o, n % 10))
    case 4: return CRM.ListLeadsRequest(tag: n % 2 == 0 ? "vip" : "evento", scoreMin: "50")
    case 5: return CRM.ListLeadsRequest(q: names[n % names.count])
    case 6:
        return CRM.ListLeadsRequest(
            status: statuses[n % 5], q: names[n % names.count] + " " + names[(n / 7) % names.count])
    case 7: return CRM.ListLeadsRequest(createdFrom: "2026-09-01", createdTo: "2026-10-01", q: "")
    case 8: return CRM.ListLeadsRequest(source: "whatsapp", segment: ["b2b", "b2c", "enterprise", "pme"][n % 4])
    default: return CRM.ListLeadsRequest(assignedTo: "none", scoreMax: "30")
    }
}
let scenarios = [
    "no_filter", "status", "status_temperature", "assignee", "tag_score", "search", "search_status",
    "created_range", "source_segment", "unassigned_score",
]

var samples: [Double] = []
var byScenario: [String: [Double]] = [:]
var rows = 0
let clock = ContinuousClock()
for n in 0..<(warmUp + calls) {
    let o = 1 + (n * 37) % 100
    let kind = n % scenarios.count
    var list = request(kind, o, n / scenarios.count)
    let metadata = CallMetadata(
        requestID: "bench-\(n)", caller: "gateway",
        principal: Principal(organizationId: organization(o), userId: user(o, 0), role: "admin"))
    // Every third request reads pages 1-3 (the cursor of the previous page).
    let pages = n % 3 == 0 ? 3 : 1
    for _ in 0..<pages {
        let started = clock.now
        let page: CRM.ListLeadsResponse
        do {
            page = try await client.call(CRM.Service.listLeads, list, metadata: metadata, timeout: .seconds(10))
        } catch  where n < warmUp {
            // The pool may still hold connections from before the database restarted.
            try await Task.sleep(for: .milliseconds(200))
            break
        }
        let elapsed = clock.now - started
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        if n >= warmUp {
            samples.append(ms)
            byScenario[scenarios[kind], default: []].append(ms)
            rows += page.leads.count
        }
        guard !page.nextCursor.isEmpty else { break }
        list.cursor = page.nextCursor
    }
}
client.shutdown()

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    let index = min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)
    return (sorted[max(0, index)] * 1000).rounded() / 1000
}
var scenarioP99: [String: Double] = [:]
for (name, values) in byScenario { scenarioP99[name] = percentile(values, 0.99) }
let summary: [String: Any] = [
    "list_p50_ms": percentile(samples, 0.50), "list_p99_ms": percentile(samples, 0.99), "calls": samples.count,
    "p99_ms_by_scenario": scenarioP99, "average_page_size": Double(rows) / Double(max(1, samples.count)),
]
let data = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])
print(String(decoding: data, as: UTF8.self))

import Testing

@testable import ServiceKit

@Suite("Merging Prometheus expositions")
struct ExpositionMergerTests {
    @Test("samples are labelled with their service and families are declared once")
    func mergesFamilies() {
        var merger = ExpositionMerger()
        merger.add(
            """
            # HELP rpc_calls_total Calls.
            # TYPE rpc_calls_total counter
            rpc_calls_total{method="Health"} 3
            up 1
            """, label: "service", value: "crm")
        merger.add(
            """
            # HELP rpc_calls_total Calls.
            # TYPE rpc_calls_total counter
            rpc_calls_total{method="Health"} 5
            """, label: "service", value: "hooks")
        let lines = merger.text.split(separator: "\n").map(String.init)
        #expect(lines.filter { $0 == "# TYPE rpc_calls_total counter" }.count == 1)
        #expect(lines.contains("rpc_calls_total{service=\"crm\",method=\"Health\"} 3"))
        #expect(lines.contains("rpc_calls_total{service=\"hooks\",method=\"Health\"} 5"))
        #expect(lines.contains("up{service=\"crm\"} 1"))
        let type = lines.firstIndex(of: "# TYPE rpc_calls_total counter")!
        let hooks = lines.firstIndex(of: "rpc_calls_total{service=\"hooks\",method=\"Health\"} 5")!
        #expect(type < hooks)
    }

    @Test("histogram series stay in their family; empty label sets and quotes are handled")
    func histogramsAndEscaping() {
        var merger = ExpositionMerger()
        merger.add(
            """
            # TYPE latency histogram
            latency_bucket{le="0.1"} 1
            latency_sum 0.05
            latency_count 1
            empty{} 2
            """, label: "service", value: "a\"b")
        let text = merger.text
        #expect(text.contains("latency_bucket{service=\"a\\\"b\",le=\"0.1\"} 1"))
        #expect(text.contains("latency_sum{service=\"a\\\"b\"} 0.05"))
        #expect(text.contains("empty{service=\"a\\\"b\"} 2"))
        #expect(text.hasSuffix("\n"))
    }
}

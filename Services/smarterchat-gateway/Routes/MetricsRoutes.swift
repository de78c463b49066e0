import Contracts
import Hummingbird
import RPC
import ServiceKit

/// `GET /metrics`: the gateway's own metrics and every reachable service's, for Prometheus.
///
/// Each sample carries `service="<name>"`; a service that does not answer is reported by
/// `smarterchat_service_up{service="<name>"} 0` instead of failing the scrape.
struct MetricsRoutes: Sendable {
    let clients: ServiceClients
    let gateway: ServiceMetrics

    func register(on router: Router<GatewayRequestContext>) {
        router.get("metrics") { _, context in await self.scrape(metadata: context.callMetadata) }
    }

    func scrape(metadata: CallMetadata) async -> Response {
        let expositions = await withTaskGroup(of: (String, String?).self) { group in
            for entry in clients.all {
                group.addTask {
                    let response = try? await entry.client.call(
                        entry.service.metrics, Common.MetricsRequest(), metadata: metadata,
                        timeout: .seconds(2))
                    return (entry.service.name, response?.exposition)
                }
            }
            return await group.reduce(into: [(String, String?)]()) { $0.append($1) }
        }.sorted { $0.0 < $1.0 }
        var merger = ExpositionMerger()
        merger.add(gateway.exposition(), label: "service", value: "gateway")
        var up = "# HELP smarterchat_service_up Whether the service answered the scrape.\n"
        up += "# TYPE smarterchat_service_up gauge\n"
        for (name, exposition) in expositions {
            up += "smarterchat_service_up{service=\"\(name)\"} \(exposition == nil ? 0 : 1)\n"
            if let exposition { merger.add(exposition, label: "service", value: name) }
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: merger.text + up)))
    }
}

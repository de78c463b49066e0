import Contracts
import Foundation
import Hummingbird
import RPC
import ServiceKit

/// `GET /healthz`: asks every domain service for its `Health`, concurrently.
///
/// 200 with each service's state when all six are serving; otherwise 503 with the same body
/// plus an `error` naming the services that are down or not serving.
struct HealthRoutes: Sendable {
    let clients: ServiceClients
    let timeout: Duration

    func register(on router: Router<GatewayRequestContext>) {
        router.get("healthz") { _, context in try await self.check(metadata: context.callMetadata) }
    }

    /// One service's state as `/healthz` shows it.
    struct ServiceHealth: Codable, Sendable {
        var status: String
        var instance: String?
        var version: String?
        var database_reachable: Bool?
        var migration_version: Int64?
        var uptime_seconds: Int64?
        var detail: String?
    }

    struct Body: Encodable {
        struct Failure: Encodable {
            var code: String
            var message: String
            var services: [String]
        }
        var status: String
        var services: [String: ServiceHealth]
        var error: Failure?
    }

    func check(metadata: CallMetadata) async throws -> Response {
        let results = await withTaskGroup(of: (String, ServiceHealth).self) { group in
            for entry in clients.all {
                group.addTask { (entry.service.name, await self.health(of: entry, metadata: metadata)) }
            }
            return await group.reduce(into: [String: ServiceHealth]()) { $0[$1.0] = $1.1 }
        }
        let down = results.filter { $0.value.status != "serving" }.keys.sorted()
        var body = Body(status: down.isEmpty ? "ok" : "unavailable", services: results)
        if !down.isEmpty {
            body.error = .init(
                code: "unavailable", message: "not serving: \(down.joined(separator: ", "))", services: down)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Response(
            status: down.isEmpty ? .ok : .serviceUnavailable,
            headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(body))))
    }

    private func health(of entry: ServiceClients.Entry, metadata: CallMetadata) async -> ServiceHealth {
        do {
            let response = try await entry.client.call(
                entry.service.health, Common.HealthRequest(), metadata: metadata, timeout: timeout)
            return ServiceHealth(
                status: response.status == .serving ? "serving" : "not_serving",
                instance: response.instance, version: response.version,
                database_reachable: response.databaseReachable, migration_version: response.migrationVersion,
                uptime_seconds: response.uptimeSeconds, detail: response.detail.isEmpty ? nil : response.detail)
        } catch let error as RPCError {
            return ServiceHealth(status: "down", detail: "\(error.code)")
        } catch {
            return ServiceHealth(status: "down", detail: "UNKNOWN")
        }
    }
}

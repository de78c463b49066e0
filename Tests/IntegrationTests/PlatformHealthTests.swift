import Contracts
import Foundation
import ServiceKit
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The seven real executables against a real PostgreSQL: `/healthz` sees every service,
/// notices one that dies, and recovers when it comes back, without restarting the callers.
@Suite("The running platform", .serialized)
struct PlatformHealthTests {
    struct Health: Decodable {
        struct Service: Decodable {
            var status: String
            var migration_version: Int64?
            var database_reachable: Bool?
        }
        struct Failure: Decodable {
            var code: String
            var message: String
            var services: [String]
        }
        var status: String
        var services: [String: Service]
        var error: Failure?
    }

    static func health(_ platform: RunningPlatform) async -> (Int, Health?) {
        guard let (status, body) = try? await platform.get("/healthz") else { return (0, nil) }
        return (status, try? JSONDecoder().decode(Health.self, from: body))
    }

    @Test("healthz is 200 with all six up, 503 naming a killed service within 2 s, 200 again after it restarts")
    func healthFollowsTheServices() async throws {
        let platform = try await RunningPlatform.start()
        do {
            let up = await platform.waitUntil(timeout: .seconds(60)) { await Self.health(platform).0 == 200 }
            #expect(up, "platform did not become healthy; crm log:\n\(platform.log(of: "crm").suffix(2000))")
            let (_, all) = await Self.health(platform)
            #expect(all?.services.count == 6)
            #expect(
                all?.services.values.allSatisfy { $0.status == "serving" && ($0.migration_version ?? 0) >= 1 } == true)

            await platform.kill("crm")
            let killedAt = ContinuousClock.now
            var named = false
            while ContinuousClock.now - killedAt < .seconds(2) {
                let (status, body) = await Self.health(platform)
                if status == 503, body?.error?.services == ["crm"], body?.services["crm"]?.status == "down" {
                    named = true
                    break
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(named, "healthz did not answer 503 naming crm within 2 s")

            try platform.start("crm")
            let back = await platform.waitUntil(timeout: .seconds(30)) { await Self.health(platform).0 == 200 }
            #expect(back, "healthz did not return to 200 after crm restarted")
            let (_, recovered) = await Self.health(platform)
            #expect(recovered?.services["crm"]?.status == "serving")
        } catch {
            await platform.stop()
            throw error
        }
        await platform.stop()
    }

    @Test("errors are JSON with a code and a message; /metrics carries every service's figures")
    func errorsAndMetrics() async throws {
        let platform = try await RunningPlatform.start()
        do {
            let up = await platform.waitUntil(timeout: .seconds(60)) { await Self.health(platform).0 == 200 }
            try #require(up)
            let (status, body) = try await platform.get("/no/such/route")
            #expect(status == 404)
            let error = try JSONSerialization.jsonObject(with: body) as? [String: [String: String]]
            #expect(error?["error"]?["code"] == "not_found")
            #expect(error?["error"]?["message"]?.isEmpty == false)
            #expect(error?["error"]?["request_id"]?.isEmpty == false)

            // The client's request id is kept, answered back, and named in the error.
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(platform.httpPort)/nothing")!)
            request.setValue("trace-4242", forHTTPHeaderField: "X-Request-Id")
            let (traced, response) = try await URLSession.shared.data(for: request)
            #expect((response as? HTTPURLResponse)?.value(forHTTPHeaderField: "X-Request-Id") == "trace-4242")
            // Every response, an error's too, forbids sniffing and framing.
            let livez = try await URLSession.shared.data(
                from: URL(string: "http://127.0.0.1:\(platform.httpPort)/livez")!
            ).1
            for answer in [response, livez] {
                let http = answer as? HTTPURLResponse
                #expect(http?.value(forHTTPHeaderField: "X-Content-Type-Options") == "nosniff")
                #expect(http?.value(forHTTPHeaderField: "X-Frame-Options") == "DENY")
            }
            let tracedError = try JSONSerialization.jsonObject(with: traced) as? [String: [String: String]]
            #expect(tracedError?["error"]?["request_id"] == "trace-4242")

            let (metricsStatus, metricsBody) = try await platform.get("/metrics")
            #expect(metricsStatus == 200)
            let text = String(decoding: metricsBody, as: UTF8.self)
            for service in PlatformService.all {
                #expect(
                    text.contains("smarterchat_service_up{service=\"\(service.name)\"} 1"), "\(service.name) missing")
                // The service's own figures: the Health calls /healthz made, counted by its RPC server.
                let health =
                    "smarterchat_rpc_server_calls_total{service=\"\(service.name)\",method=\"\(service.health.fullName)\",code=\"OK\"}"
                #expect(text.contains(health), "\(health) missing")
            }
            #expect(text.components(separatedBy: "# TYPE smarterchat_rpc_server_calls_total counter").count == 2)
            // The gateway's own HTTP figures: the two unknown paths above under `NotFound`, the
            // health checks under their route.
            func value(_ series: String) -> Double? {
                text.split(separator: "\n").first { $0.hasPrefix(series + " ") }
                    .flatMap { Double($0.dropFirst(series.count + 1)) }
            }
            let notFound =
                #"smarterchat_http_requests_total{service="gateway",route="NotFound",method="GET",status="404"}"#
            #expect((value(notFound) ?? 0) >= 2, "\(notFound) missing or below 2")
            let healthz =
                #"smarterchat_http_requests_total{service="gateway",route="/healthz",method="GET",status="200"}"#
            #expect((value(healthz) ?? 0) >= 1, "\(healthz) missing")
            #expect(
                text.contains(
                    #"smarterchat_http_request_duration_seconds_count{service="gateway",route="/healthz",method="GET"}"#
                ))
            // The services' backlogs, measured at the scrape: conversations' due work, every
            // outbox's pending events per subscriber.
            for gauge in ["reply_jobs_due", "reply_jobs_oldest_due_seconds", "deliveries_due"] {
                #expect(value("smarterchat_\(gauge){service=\"conversations\"}") != nil, "\(gauge) missing")
            }
            // Every service's database pool.
            for service in PlatformService.all {
                let series = "smarterchat_db_pool_capacity{service=\"\(service.name)\"}"
                #expect((value(series) ?? 0) >= 1, "\(series) missing")
            }
            for service in ["identity", "agents", "conversations", "crm"] {
                for subscriber in ["hooks", "analytics"] {
                    let series =
                        "smarterchat_outbox_pending_events{service=\"\(service)\",subscriber=\"\(subscriber)\"}"
                    #expect(value(series) != nil, "\(series) missing")
                }
            }
        } catch {
            await platform.stop()
            throw error
        }
        await platform.stop()
    }
}

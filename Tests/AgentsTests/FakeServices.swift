import Access
import Contracts
import Foundation
import Logging
import RPC
import Synchronization

/// crm's service methods as an in-process router that keeps leads in memory and records calls.
final class FakeCRM: Sendable {
    let router = RPCRouter(service: CRM.Service.descriptor)
    let leads = Mutex<[String: CRM.Lead]>([:])
    let calls = Mutex<[String]>([])
    /// GetLead calls per lead id.
    let leadReads = Mutex<[String: Int]>([:])

    init() {
        router.register(CRM.Service.getLead) { [self] request, context in
            try ServiceCaller.require(context, from: ["agents", "conversations"])
            leadReads.withLock { $0[request.leadId, default: 0] += 1 }
            guard let lead = leads.withLock({ $0[request.leadId] }), lead.organizationId == request.organizationId
            else { throw RPCError(.notFound, "lead not found") }
            return CRM.GetLeadResponse(lead: lead)
        }
        router.register(CRM.Service.captureLeadFields) { [self] request, context in
            try ServiceCaller.require(context, from: ["agents"])
            calls.withLock { $0.append("capture \(request.leadId) actor=\(request.actor)") }
            return try leads.withLock { leads in
                guard var lead = leads[request.leadId], lead.organizationId == request.organizationId else {
                    throw RPCError(.notFound, "lead not found")
                }
                if let value = request.name { lead.name = value }
                if let value = request.email { lead.email = value }
                if let value = request.phone { lead.phone = value }
                if let value = request.company { lead.company = value }
                if let value = request.position { lead.position = value }
                if let value = request.interest { lead.interest = value }
                leads[request.leadId] = lead
                return CRM.CaptureLeadFieldsResponse(lead: lead)
            }
        }
        router.register(CRM.Service.qualifyLead) { [self] request, context in
            try ServiceCaller.require(context, from: ["agents"])
            calls.withLock {
                $0.append("qualify \(request.leadId) \(request.temperature) \(request.score) actor=\(request.actor)")
            }
            return try leads.withLock { leads in
                guard var lead = leads[request.leadId], lead.organizationId == request.organizationId else {
                    throw RPCError(.notFound, "lead not found")
                }
                lead.temperature = request.temperature
                lead.score = request.score
                leads[request.leadId] = lead
                return CRM.QualifyLeadResponse(lead: lead)
            }
        }
        router.register(CRM.Service.changeLeadStatus) { [self] request, context in
            try ServiceCaller.require(context, from: ["agents"])
            calls.withLock { $0.append("status \(request.leadId) \(request.status) actor=\(request.actor)") }
            return try leads.withLock { leads in
                guard var lead = leads[request.leadId], lead.organizationId == request.organizationId else {
                    throw RPCError(.notFound, "lead not found")
                }
                lead.status = request.status
                leads[request.leadId] = lead
                return CRM.ChangeLeadStatusResponse(lead: lead)
            }
        }
    }

    /// A new lead of `organizationID`.
    func addLead(organizationID: String, name: String = "Maria") -> String {
        let id = UUID().uuidString.lowercased()
        leads.withLock {
            $0[id] = CRM.Lead(
                id: id, organizationId: organizationID, name: name, status: "new", temperature: "cold", score: 10)
        }
        return id
    }

    func lead(_ id: String) -> CRM.Lead? { leads.withLock { $0[id] } }
}

/// identity's GetPlanLimits as an in-process router; `max_agents` per organization (3 unless set).
final class FakeIdentity: Sendable {
    let router = RPCRouter(service: Identity.Service.descriptor)
    let maxAgents = Mutex<[String: Int32]>([:])

    init() {
        router.register(Identity.Service.getPlanLimits) { [self] request, _ in
            Identity.GetPlanLimitsResponse(
                organizationId: request.organizationId, plan: "starter", status: "active",
                maxAgents: maxAgents.withLock { $0[request.organizationId] } ?? 3)
        }
    }
}

/// Every log line the handlers write, message and metadata, to search for secrets.
final class LogCapture: Sendable {
    let lines = Mutex<[String]>([])
    var text: String { lines.withLock { $0.joined(separator: "\n") } }
}

struct LogCaptureHandler: LogHandler {
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        capture.lines.withLock { $0.append("\(event.level) \(event.message) \(all)") }
    }
}

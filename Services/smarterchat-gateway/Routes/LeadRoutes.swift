import Contracts
import Foundation
import HTTPTypes
import Hummingbird
import RPC

/// The CRM routes of the REST API (`/api/v1`, authenticated), documented in docs/openapi.yaml:
/// `GET /leads` (filters, cursor pagination), `GET /leads/pipeline`, `POST /leads` (201),
/// `GET|PATCH|DELETE /leads/{id}` (DELETE 204), `POST /leads/{id}/status`,
/// `POST /leads/{id}/assign`, `POST /leads/{id}/activities` (201), `GET /leads/{id}/timeline`,
/// `POST /leads/merge`, `GET /leads/export.csv` (streamed), `POST /leads/import` (text/csv).
struct LeadRoutes: Sendable {
    let crm: any RPCCaller
    let timeout: Duration = .seconds(10)
    /// The largest CSV import body (2 MiB; RPC frames are at most 4 MiB).
    static let maximumImportSize = 2 << 20

    func register(on authenticated: RouterGroup<GatewayRequestContext>) {
        authenticated.get("leads") { request, context in
            try LeadJSON.response(
                try await crm.call(
                    CRM.Service.listLeads, try Self.listRequest(request), metadata: context.callMetadata,
                    timeout: timeout))
        }
        authenticated.get("leads/pipeline") { _, context in
            try JSONBody.response(
                try await crm.call(
                    CRM.Service.getPipeline, CRM.GetPipelineRequest(), metadata: context.callMetadata,
                    timeout: timeout))
        }
        authenticated.get("leads/export.csv") { request, context in try await export(request, context) }
        authenticated.post("leads/import") { request, context in try await importCSV(request, context) }
        authenticated.post("leads/merge") { request, context in
            let body = try await JSONBody.decode(CRM.MergeLeadsRequest.self, from: request)
            return try LeadJSON.response(
                try await crm.call(CRM.Service.mergeLeads, body, metadata: context.callMetadata, timeout: timeout))
        }
        authenticated.post("leads") { request, context in
            let body = try await LeadJSON.decode(CRM.CreateLeadRequest.self, from: request)
            return try LeadJSON.response(
                try await crm.call(CRM.Service.createLead, body, metadata: context.callMetadata, timeout: timeout),
                status: .created)
        }
        authenticated.get("leads/:id") { _, context in
            try LeadJSON.response(
                try await crm.call(
                    CRM.Service.getLead, CRM.GetLeadRequest(leadId: try context.parameters.require("id")),
                    metadata: context.callMetadata, timeout: timeout))
        }
        authenticated.patch("leads/:id") { request, context in
            var body = try await LeadJSON.decode(CRM.UpdateLeadRequest.self, from: request) { members in
                if members["tags"] != nil { members["replace_tags"] = true }
            }
            body.leadId = try context.parameters.require("id")
            return try LeadJSON.response(
                try await crm.call(CRM.Service.updateLead, body, metadata: context.callMetadata, timeout: timeout))
        }
        authenticated.delete("leads/:id") { _, context in
            _ = try await crm.call(
                CRM.Service.deleteLead, CRM.DeleteLeadRequest(leadId: try context.parameters.require("id")),
                metadata: context.callMetadata, timeout: timeout)
            return Response(status: .noContent)
        }
        authenticated.post("leads/:id/status") { request, context in
            var body = try await JSONBody.decode(CRM.ChangeLeadStatusRequest.self, from: request)
            body.leadId = try context.parameters.require("id")
            return try LeadJSON.response(
                try await crm.call(
                    CRM.Service.changeLeadStatus, body, metadata: context.callMetadata, timeout: timeout))
        }
        authenticated.post("leads/:id/assign") { request, context in
            var body = try await JSONBody.decode(CRM.AssignLeadRequest.self, from: request)
            body.leadId = try context.parameters.require("id")
            return try LeadJSON.response(
                try await crm.call(CRM.Service.assignLead, body, metadata: context.callMetadata, timeout: timeout))
        }
        authenticated.post("leads/:id/activities") { request, context in
            var body = try await LeadJSON.decode(CRM.AddLeadActivityRequest.self, from: request)
            body.leadId = try context.parameters.require("id")
            return try LeadJSON.response(
                try await crm.call(CRM.Service.addLeadActivity, body, metadata: context.callMetadata, timeout: timeout),
                status: .created)
        }
        authenticated.get("leads/:id/timeline") { request, context in
            var body = CRM.GetLeadTimelineRequest(leadId: try context.parameters.require("id"))
            if let limit = request.uri.queryParameters.get("limit") {
                guard let value = Int32(limit) else {
                    throw APIError(status: .badRequest, code: "invalid_argument", message: "limit must be an integer")
                }
                body.limit = value
            }
            return try LeadJSON.response(
                try await crm.call(CRM.Service.getLeadTimeline, body, metadata: context.callMetadata, timeout: timeout))
        }
    }

    /// The list filters from the query string (crm validates them).
    static func listRequest(_ request: Request) throws -> CRM.ListLeadsRequest {
        let query = request.uri.queryParameters
        func text(_ name: String) -> String { query.get(name).map { String($0) } ?? "" }
        var list = CRM.ListLeadsRequest(
            status: text("status"), temperature: text("temperature"), assignedTo: text("assigned_to"),
            source: text("source"), tag: text("tag"), segment: text("segment"), scoreMin: text("score_min"),
            scoreMax: text("score_max"), createdFrom: text("created_from"), createdTo: text("created_to"),
            q: text("q"), cursor: text("cursor"))
        if let limit = query.get("limit") {
            guard let value = Int32(limit) else {
                throw APIError(status: .badRequest, code: "invalid_argument", message: "limit must be an integer")
            }
            list.limit = value
        }
        return list
    }

    /// The filtered list as CSV, streamed page by page (1000 leads a page). The first page is
    /// read before the response starts, so a refused request still answers a JSON error.
    func export(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        var list = try Self.listRequest(request)
        list.cursor = ""
        list.limit = 1000
        let metadata = context.callMetadata
        let first = try await crm.call(CRM.Service.exportLeads, list, metadata: metadata, timeout: timeout)
        let crm = self.crm, timeout = self.timeout, filters = list
        let body = ResponseBody { writer in
            try await writer.write(ByteBuffer(string: LeadCSV.header))
            var list = filters
            var page = first
            while true {
                try await writer.write(ByteBuffer(string: page.leads.map(LeadCSV.row).joined()))
                guard !page.nextCursor.isEmpty else { break }
                list.cursor = page.nextCursor
                page = try await crm.call(CRM.Service.exportLeads, list, metadata: metadata, timeout: timeout)
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/csv; charset=utf-8", .cacheControl: "no-store",
                .contentDisposition: "attachment; filename=\"leads.csv\"",
            ],
            body: body)
    }

    /// `text/csv` body (at most 2 MiB) → the import report.
    func importCSV(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: Self.maximumImportSize)
        } catch {
            throw APIError(status: .contentTooLarge, code: "body_too_large", message: "the CSV is larger than 2 MiB")
        }
        guard let text = String(validating: buffer.readableBytesView, as: UTF8.self) else {
            throw APIError(status: .badRequest, code: "invalid_argument", message: "the CSV must be UTF-8 text")
        }
        return try JSONBody.response(
            try await crm.call(
                CRM.Service.importLeads, CRM.ImportLeadsRequest(csv: text), metadata: context.callMetadata,
                timeout: .seconds(60)))
    }
}

/// The export's CSV: one header line and a line per lead.
enum LeadCSV {
    static let columns = [
        "id", "name", "email", "phone", "status", "temperature", "score", "source", "assigned_to_user_id", "company",
        "position", "interest", "segment", "tags", "total_interactions", "last_interaction_at", "converted_at",
        "lost_at", "created_at", "updated_at",
    ]
    static let header = columns.joined(separator: ",") + "\r\n"

    static func row(_ lead: CRM.Lead) -> String {
        let values = [
            lead.id, lead.name, lead.email, lead.phone, lead.status, lead.temperature, String(lead.score), lead.source,
            lead.assignedToUserId, lead.company, lead.position, lead.interest, lead.segment,
            lead.tags.joined(separator: ";"), String(lead.totalInteractions), lead.lastInteractionAt, lead.convertedAt,
            lead.lostAt, lead.createdAt, lead.updatedAt,
        ]
        return values.map(field).joined(separator: ",") + "\r\n"
    }

    /// Quoted when needed; a leading `=`, `+`, `-` or `@` is escaped with `'` so that a
    /// spreadsheet never runs it as a formula (an E.164 phone is left as it is).
    static func field(_ value: String) -> String {
        var value = value
        if let first = value.first, "=+-@".contains(first), !(first == "+" && value.dropFirst().allSatisfy(\.isNumber))
        {
            value = "'" + value
        }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

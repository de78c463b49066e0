import Contracts
import Foundation
import HTTPTypes
import Hummingbird

/// The REST form of leads and activities: the contract's JSON with the JSON-text members
/// (`custom_fields_json`, `metadata_json`) shown as the objects they hold (`custom_fields`,
/// `metadata`), and request bodies read the other way round.
enum LeadJSON {
    /// Members that are JSON text in the contract and objects in the REST API.
    static let objectMembers = ["custom_fields_json": "custom_fields", "metadata_json": "metadata"]

    /// `value` as a JSON object with the JSON-text members (at any depth) as objects.
    static func object<T: Encodable>(_ value: T) throws -> Any {
        let data = try JSONEncoder().encode(value)
        return unfold(try JSONSerialization.jsonObject(with: data))
    }

    private static func unfold(_ value: Any) -> Any {
        if let array = value as? [Any] { return array.map(unfold) }
        guard var members = value as? [String: Any] else { return value }
        for (key, member) in members {
            if let rest = objectMembers[key], let text = member as? String {
                members[key] = nil
                members[rest] =
                    (try? JSONSerialization.jsonObject(with: Data((text.isEmpty ? "{}" : text).utf8))) ?? [:]
            } else {
                members[key] = unfold(member)
            }
        }
        return members
    }

    /// `value` (REST form) as the response.
    static func response<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: try object(value), options: [.sortedKeys])
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Reads a REST body into a contract request: `custom_fields`/`metadata` must be objects
    /// and become their JSON text; `extra` members are added (e.g. `replace_tags`).
    static func decode<T: Decodable>(
        _ type: T.Type, from request: Request, extra: (inout [String: Any]) -> Void = { _ in }
    ) async throws -> T {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: JSONBody.maximumSize)
        } catch {
            throw APIError(status: .contentTooLarge, code: "body_too_large", message: "request body is too large")
        }
        guard var members = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any]
        else {
            throw APIError(status: .badRequest, code: "invalid_json", message: "request body must be a JSON object")
        }
        for (text, rest) in objectMembers {
            members[text] = nil
            guard let value = members.removeValue(forKey: rest), !(value is NSNull) else { continue }
            guard let object = value as? [String: Any],
                let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            else { throw APIError(status: .badRequest, code: "invalid_json", message: "`\(rest)` must be an object") }
            members[text] = String(decoding: data, as: UTF8.self)
        }
        extra(&members)
        do {
            return try JSONDecoder().decode(T.self, from: try JSONSerialization.data(withJSONObject: members))
        } catch DecodingError.typeMismatch(_, let context) {
            let path = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
            throw APIError(
                status: .badRequest, code: "invalid_json", message: "wrong type for `\(path.joined(separator: "."))`")
        } catch {
            throw APIError(status: .badRequest, code: "invalid_json", message: "request body is not valid")
        }
    }
}

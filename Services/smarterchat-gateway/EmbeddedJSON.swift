import Foundation
import HTTPTypes
import Hummingbird

/// JSON bodies whose contracts carry JSON documents as text: a member `x_json` (a string
/// holding JSON) is the JSON value `x` in the REST API, in requests and responses.
enum EmbeddedJSON {
    /// Decodes `T` after turning each object member named in `objects` into its `_json` text
    /// (refusing a non-object with 400 `invalid_json`), and setting each `presence` flag
    /// (e.g. `set_languages`) when its member is present. A member set to null counts as
    /// absent unless `nullIsAbsent` is false, when it is refused like any other non-object.
    static func decode<T: Decodable>(
        _ type: T.Type, from request: Request, objects: Set<String>, presence: [String: String] = [:],
        nullIsAbsent: Bool = true
    ) async throws -> T {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: JSONBody.maximumSize)
        } catch {
            throw APIError(status: .contentTooLarge, code: "body_too_large", message: "request body is too large")
        }
        guard var object = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any]
        else {
            throw APIError(status: .badRequest, code: "invalid_json", message: "request body must be a JSON object")
        }
        for member in objects {
            guard let value = object.removeValue(forKey: member), !(nullIsAbsent && value is NSNull) else { continue }
            guard let members = value as? [String: Any],
                let data = try? JSONSerialization.data(withJSONObject: members, options: [.sortedKeys])
            else {
                throw APIError(status: .badRequest, code: "invalid_json", message: "`\(member)` must be a JSON object")
            }
            object["\(member)_json"] = String(decoding: data, as: UTF8.self)
        }
        for (member, flag) in presence where object[member] != nil && !(object[member] is NSNull) {
            object[flag] = true
        }
        let data = try JSONSerialization.data(withJSONObject: object)
        let rebuilt = Request(head: request.head, body: .init(buffer: ByteBuffer(bytes: data)))
        return try await JSONBody.decode(T.self, from: rebuilt)
    }

    /// `value` as JSON with every `x_json` member replaced by its parsed value `x`.
    static func response<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try JSONEncoder().encode(value)
        let object = embed(try JSONSerialization.jsonObject(with: data))
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: .init(
                byteBuffer: ByteBuffer(
                    bytes: try JSONSerialization.data(
                        withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))))
    }

    static func embed(_ value: Any) -> Any {
        if let array = value as? [Any] { return array.map(embed) }
        guard let object = value as? [String: Any] else { return value }
        var result: [String: Any] = [:]
        for (key, member) in object {
            if key.hasSuffix("_json"), let text = member as? String {
                let name = String(key.dropLast(5))
                if text.isEmpty {
                    result[name] = NSNull()
                } else if let parsed = try? JSONSerialization.jsonObject(
                    with: Data(text.utf8), options: [.fragmentsAllowed])
                {
                    result[name] = embed(parsed)
                } else {
                    result[name] = text
                }
            } else {
                result[key] = embed(member)
            }
        }
        return result
    }
}

import Contracts
import Foundation
import HTTPTypes
import Hummingbird

/// Reading and writing the REST API's JSON bodies.
///
/// A body that is not JSON, not an object, or has a member of the wrong type answers 400
/// `invalid_json` with a message naming the member; missing members decode as their default
/// and are refused by the service that checks them (400 `invalid_argument`).
enum JSONBody {
    /// The largest request body read (64 KiB).
    static let maximumSize = 64 * 1024

    static func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: maximumSize)
        } catch {
            throw APIError(status: .contentTooLarge, code: "body_too_large", message: "request body is too large")
        }
        let data = Data(buffer.readableBytesView)
        guard (try? JSONSerialization.jsonObject(with: data)) is [String: Any] else {
            throw APIError(status: .badRequest, code: "invalid_json", message: "request body must be a JSON object")
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch DecodingError.typeMismatch(_, let context) {
            throw APIError(
                status: .badRequest, code: "invalid_json",
                message: "wrong type for `\(path(context.codingPath))`")
        } catch DecodingError.valueNotFound(_, let context) {
            throw APIError(
                status: .badRequest, code: "invalid_json", message: "`\(path(context.codingPath))` must not be null")
        } catch {
            throw APIError(status: .badRequest, code: "invalid_json", message: "request body is not valid")
        }
    }

    /// `value` as a JSON response with `status`. Contract messages write themselves
    /// (`ProtoJSONWritable`, the same bytes); other values go through `JSONEncoder`.
    static func response<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let bytes: [UInt8]
        if let message = value as? any ProtoJSONWritable {
            bytes = message.jsonBytes
        } else {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            bytes = Array(try encoder.encode(value))
        }
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    private static func path(_ codingPath: [any CodingKey]) -> String {
        codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }
}

/// Finds floating-point values in a message by reflection; used only on the rare path where a
/// check fails, to tell a NaN or an infinity from a real mismatch.
enum FloatScan {
    /// Whether a `Double` or `Float` NaN appears anywhere in `value`.
    static func containsNaN(_ value: Any) -> Bool {
        if let double = value as? Double { return double.isNaN }
        if let float = value as? Float { return float.isNaN }
        return Mirror(reflecting: value).children.contains { containsNaN($0.value) }
    }

    /// Whether a `Double` or `Float` NaN or infinity appears anywhere in `value`.
    static func containsNonFinite(_ value: Any) -> Bool {
        if let double = value as? Double { return !double.isFinite }
        if let float = value as? Float { return !float.isFinite }
        return Mirror(reflecting: value).children.contains { containsNonFinite($0.value) }
    }
}

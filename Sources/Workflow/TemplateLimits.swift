/// Bounds that keep a hostile template from hanging or crashing the loader.
/// Each is checked before the work it protects, so going over one costs
/// little and yields an ordinary error diagnostic.
public enum TemplateLimits {
    /// Largest template body accepted, in bytes (1 MiB). Checked before parsing.
    public static let maxBodyBytes = 1_048_576
    /// Deepest nesting accepted. Real templates nest about 10 deep. Checked
    /// twice: estimated (generously) by a linear pre-scan of the text before
    /// parsing, and exactly by `YAMLComposer`, which counts open collections.
    public static let maxNestingDepth = 64
    /// Most YAML nodes the loader will visit while reading a template. A
    /// 5,000-state template needs far fewer; see `TemplateGenerator`.
    public static let maxNodes = 400_000
    /// Longest name (template, role, state, …), in characters.
    public static let maxNameLength = 64
}

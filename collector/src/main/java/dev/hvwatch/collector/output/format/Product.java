package dev.hvwatch.collector.output.format;

/** How hvwatch names itself in the SOC formats' product fields. */
final class Product {
    static final String NAME = "hvwatch";
    static final String VENDOR = "hvwatch";
    /** The collector jar's version; "dev" when run from classes, as in tests. */
    static final String VERSION = versionOrDev();

    private Product() {
    }

    private static String versionOrDev() {
        String version = Product.class.getPackage().getImplementationVersion();
        return version != null ? version : "dev";
    }
}

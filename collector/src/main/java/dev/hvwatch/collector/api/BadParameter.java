package dev.hvwatch.collector.api;

/** A request parameter (or header) the API refuses: answered 400 with the parameter's name and why. */
final class BadParameter extends Exception {
    private final String parameter;

    BadParameter(String parameter, String why) {
        super(why);
        this.parameter = parameter;
    }

    String parameter() {
        return parameter;
    }
}

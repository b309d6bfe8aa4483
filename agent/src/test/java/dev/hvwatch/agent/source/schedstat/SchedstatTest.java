package dev.hvwatch.agent.source.schedstat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SchedstatTest {
    private final Schedstat reading = new Schedstat();

    private void parse(String text) throws SchedstatFormatException {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        reading.parse(bytes, bytes.length, "/proc/7/task/9/schedstat");
    }

    @Test
    void parsesTheKernelFormat() throws Exception {
        parse("123456789012 98765 4321\n");
        assertThat(reading.runNanos()).isEqualTo(123456789012L);
        assertThat(reading.waitNanos()).isEqualTo(98765L);
        assertThat(reading.timeslices()).isEqualTo(4321L);
    }

    @Test
    void toleratesFieldsAFutureKernelMayAppend() throws Exception {
        parse("1 2 3 4 5\n");
        assertThat(reading.waitNanos()).isEqualTo(2);
    }

    @Test
    void malformedInputNamesTheFileAndKeepsThePreviousReading() throws Exception {
        parse("10 20 30\n");
        for (String bad : new String[] {"", "\n", "10 20\n", "10 x 30\n", "10 -20 30\n", "1a 2 3\n",
                "99999999999999999999 1 1\n"}) {
            assertThatThrownBy(() -> parse(bad))
                    .isInstanceOf(SchedstatFormatException.class)
                    .hasMessageStartingWith("/proc/7/task/9/schedstat: ");
        }
        assertThat(reading.runNanos()).isEqualTo(10);
        assertThat(reading.waitNanos()).isEqualTo(20);
    }
}

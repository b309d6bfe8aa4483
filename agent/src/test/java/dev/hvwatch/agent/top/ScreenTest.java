package dev.hvwatch.agent.top;

import static dev.hvwatch.agent.top.TopTableTest.BEFORE;
import static dev.hvwatch.agent.top.TopTableTest.NOW;
import static dev.hvwatch.agent.top.TopTableTest.scrape;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.agent.top.Screen.View;
import dev.hvwatch.agent.top.TopTable.VmRow;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScreenTest {
    private static final View VIEW = new View("127.0.0.1:9847", "2s", SortKey.EXITS, false);
    private final TopTable table = TopTable.between(scrape(0, BEFORE), scrape(2_000_000_000L, NOW));

    @Test
    void fillsAn80By24TerminalWithEveryLineInsideIt() {
        List<String> lines = Screen.render(table, VIEW, 80, 24, "12:00:00", null);
        assertThat(lines).hasSize(24).allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(80));
        assertThat(lines.get(0)).startsWith("hvwatch top  127.0.0.1:9847  2 VMs  every 2s").endsWith("12:00:00")
                .hasSize(80);
        assertThat(lines.get(1)).isEqualTo("host: 1 firing: posture-smt (medium)");
        assertThat(lines.get(Screen.HEADER_LINE)).startsWith("VM").contains("EXITS/s", "STEAL%", "CPU%", "ALERTS");
        assertThat(lines.get(3)).matches("web +3\\.0k +25\\.0 +75\\.0 pio 2\\.0k mmio 10 +3 vcpu-starvation,~");
        assertThat(lines.get(4)).matches("db +20 +- +0\\.0 HLT 20");
        assertThat(lines.get(23)).startsWith("e s c a n: sort  r: reverse  q: quit").endsWith("sorted by exits/s");
    }

    @Test
    void sortsByTheChosenKeyUnknownFiguresLast() {
        assertThat(vmOrder(VIEW.sortedBy(SortKey.NAME))).containsExactly("db", "web");
        assertThat(vmOrder(VIEW.sortedBy(SortKey.NAME).reverse())).containsExactly("web", "db");
        assertThat(vmOrder(VIEW.sortedBy(SortKey.STEAL))).containsExactly("web", "db");
        assertThat(vmOrder(VIEW.sortedBy(SortKey.STEAL).reverse())).as("unknown steal stays last")
                .containsExactly("web", "db");
        assertThat(vmOrder(VIEW.sortedBy(SortKey.CPU).reverse())).containsExactly("db", "web");
        assertThat(vmOrder(VIEW.sortedBy(SortKey.ALERTS))).containsExactly("web", "db");
        assertThat(Screen.render(table, VIEW.sortedBy(SortKey.CPU).reverse(), 80, 24, "", null).get(23))
                .endsWith("sorted by CPU, reversed");
    }

    @Test
    void moreVmsThanLinesSaysHowManyAreNotShown() {
        List<VmRow> many = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            many.add(new VmRow("vm-" + i, i, List.of(), Double.NaN, 0.01, List.of()));
        }
        List<String> lines = Screen.render(new TopTable(many, List.of(), true), VIEW, 80, 24, "", null);
        assertThat(lines).hasSize(24);
        assertThat(lines.get(3)).startsWith("vm-29 ");
        assertThat(lines.get(22)).isEqualTo("+11 more VMs (a taller terminal shows them)");
    }

    @Test
    void aVmNameCannotDriveTheTerminal() {
        List<VmRow> hostile = List.of(new VmRow("evil\u001b[2J\r\nx", 1, List.of(), Double.NaN, 0.01, List.of()));
        List<String> lines = Screen.render(new TopTable(hostile, List.of(), true), VIEW, 80, 24, "", null);
        assertThat(lines.get(3)).startsWith("evil\\e[2J\\r\\nx ");
        assertThat(String.join("", lines)).doesNotContain("\u001b", "\r", "\n");
    }

    @Test
    void aProblemOrTheFirstScrapeTakesTheKeysLine() {
        List<String> first = Screen.render(TopTable.between(null, scrape(0, NOW)), VIEW, 80, 24, "", null);
        assertThat(first.get(3)).as("no rates yet: by name").matches("db +- +- +0\\.0");
        assertThat(first.get(4)).matches("web +- +- +75\\.0 +3 .*");
        assertThat(first.get(23)).isEqualTo("measuring: rates at the next refresh");

        List<String> down = Screen.render(new TopTable(List.of(), List.of(), false), VIEW, 80, 24, "",
                "nothing answers at http://127.0.0.1:9847/metrics: is hvwatch-agent running?");
        assertThat(down).doesNotContain("no VMs: the agent watches no QEMU/KVM guest on this host");
        assertThat(down.get(23)).startsWith("nothing answers at");

        assertThat(Screen.render(new TopTable(List.of(), List.of(), true), VIEW, 80, 24, "", null).get(3))
                .isEqualTo("no VMs: the agent watches no QEMU/KVM guest on this host");
    }

    @Test
    void aSmallTerminalSeesTheTopLeftOfTheSmallestLayout() {
        List<String> lines = Screen.render(table, VIEW, 40, 5, "", null);
        assertThat(lines).hasSize(5).allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(40));
    }

    @Test
    void countsAndPercentagesStayNarrow() {
        assertThat(Screen.count(Double.NaN)).isEqualTo("-");
        assertThat(Screen.count(999.4)).isEqualTo("999");
        assertThat(Screen.count(61_234)).isEqualTo("61.2k");
        assertThat(Screen.count(4_560_000)).isEqualTo("4.6M");
        assertThat(Screen.percent(0.1234)).isEqualTo("12.3");
        assertThat(Screen.fit("posture-io-limits", 8)).isEqualTo("posture~");
    }

    private List<String> vmOrder(View view) {
        return table.vms().stream().sorted(view.sort().order(view.reversed())).map(VmRow::vm).toList();
    }
}

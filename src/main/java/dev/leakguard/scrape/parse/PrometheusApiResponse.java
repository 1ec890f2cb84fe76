package dev.leakguard.scrape.parse;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.leakguard.text.BoundedText;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the JSON envelope of the Prometheus HTTP API ({@code /api/v1/query} and
 * {@code /api/v1/query_range}), which Thanos, Mimir and VictoriaMetrics answer alike:
 * {@code {"status":"success","data":{"resultType":"vector"|"matrix","result":[...]}}} or
 * {@code {"status":"error","errorType":"bad_data","error":"..."}}.
 *
 * <p>An instant vector becomes series of one point each, a matrix series of many. Sample times
 * are float seconds in the JSON and milliseconds here; values are strings there ({@code "NaN"},
 * {@code "+Inf"} included) and doubles here.
 */
public final class PrometheusApiResponse {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final BigDecimal MILLIS_PER_SECOND = BigDecimal.valueOf(1000);

    private PrometheusApiResponse() {
    }

    /** A successful answer, or the error Prometheus reported. */
    public sealed interface Result permits Data, Error {
    }

    /** {@code status: success}: the series of a vector or matrix result, in the order Prometheus sent them. */
    public record Data(List<Series> series) implements Result {
        public Data {
            series = List.copyOf(series);
        }

        /** The first series whose label {@code name} has {@code value}, or null. */
        public Series find(String name, String value) {
            for (Series s : series) {
                if (value.equals(s.labels().get(name))) {
                    return s;
                }
            }
            return null;
        }
    }

    /** {@code status: error}; {@code errorType} is Prometheus's category (bad_data, execution, timeout, …). */
    public record Error(String errorType, String error) implements Result {
    }

    /** One series: its labels and its points, oldest first. */
    public record Series(Map<String, String> labels, long[] timestampsMillis, double[] values) {
        public Series {
            labels = Map.copyOf(labels);
            if (timestampsMillis.length != values.length) {
                throw new IllegalArgumentException("timestamps and values differ in length");
            }
        }

        public int size() {
            return values.length;
        }
    }

    /**
     * Parses {@code body[0, length)}.
     *
     * @throws PrometheusApiException naming what is wrong when the body is not such an envelope
     */
    public static Result parse(byte[] body, int length) throws PrometheusApiException {
        JsonNode root;
        try {
            root = JSON.readTree(body, 0, length);
        } catch (JsonProcessingException e) {
            throw new PrometheusApiException("response is not JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new PrometheusApiException("response is not JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new PrometheusApiException("response is not a JSON object");
        }
        String status = root.path("status").asText("");
        if (status.equals("error")) {
            return new Error(root.path("errorType").asText(""), root.path("error").asText(""));
        }
        if (!status.equals("success")) {
            throw new PrometheusApiException("response has status " + BoundedText.quote(status) + ", expected success or error");
        }
        JsonNode data = root.path("data");
        String resultType = data.path("resultType").asText("");
        JsonNode result = data.path("result");
        if (!result.isArray()) {
            throw new PrometheusApiException("data.result is missing or not an array");
        }
        boolean matrix = resultType.equals("matrix");
        if (!matrix && !resultType.equals("vector")) {
            throw new PrometheusApiException("result type " + BoundedText.quote(resultType) + " is neither vector nor matrix");
        }
        List<Series> series = new ArrayList<>(result.size());
        for (JsonNode element : result) {
            Map<String, String> labels = labels(element.path("metric"));
            series.add(points(labels, matrix ? elements(element.path("values")) : List.of(element.path("value"))));
        }
        return new Data(series);
    }

    private static Map<String, String> labels(JsonNode metric) throws PrometheusApiException {
        if (!metric.isObject()) {
            throw new PrometheusApiException("a result's metric is not an object");
        }
        Map<String, String> labels = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> fields = metric.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            labels.put(field.getKey(), field.getValue().asText());
        }
        return labels;
    }

    private static List<JsonNode> elements(JsonNode values) throws PrometheusApiException {
        if (!values.isArray()) {
            throw new PrometheusApiException("a matrix series has no values array");
        }
        List<JsonNode> out = new ArrayList<>(values.size());
        values.forEach(out::add);
        return out;
    }

    private static Series points(Map<String, String> labels, List<JsonNode> pairs) throws PrometheusApiException {
        long[] times = new long[pairs.size()];
        double[] values = new double[pairs.size()];
        for (int i = 0; i < pairs.size(); i++) {
            JsonNode pair = pairs.get(i);
            if (!pair.isArray() || pair.size() != 2 || !pair.get(0).isNumber() || !pair.get(1).isTextual()) {
                throw new PrometheusApiException("a sample is not [<seconds>, \"<value>\"]: " + BoundedText.quote(pair.toString()));
            }
            times[i] = millis(pair.get(0));
            values[i] = sampleValue(pair.get(1).asText());
        }
        return new Series(labels, times, values);
    }

    private static long millis(JsonNode seconds) throws PrometheusApiException {
        try {
            return seconds.decimalValue().multiply(MILLIS_PER_SECOND).setScale(0, RoundingMode.HALF_UP).longValueExact();
        } catch (ArithmeticException e) {
            throw new PrometheusApiException("sample time " + BoundedText.quote(seconds.toString()) + " is out of range");
        }
    }

    /** Prometheus writes Go's float formatting: decimals, exponents, NaN, +Inf and -Inf. */
    static double sampleValue(String text) throws PrometheusApiException {
        switch (text) {
            case "NaN":
                return Double.NaN;
            case "+Inf":
                return Double.POSITIVE_INFINITY;
            case "-Inf":
                return Double.NEGATIVE_INFINITY;
            default:
                try {
                    if (text.isEmpty() || !Character.isDigit(text.charAt(text.length() - 1))) {
                        throw new NumberFormatException();
                    }
                    return Double.parseDouble(text);
                } catch (NumberFormatException e) {
                    throw new PrometheusApiException("sample value " + BoundedText.quote(text) + " is not a number");
                }
        }
    }
}

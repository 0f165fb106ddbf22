package io.pneuknow.report;

import java.util.Base64;

/**
 * A self-contained HTML page: inline CSS, images as data: URIs, no external reference. It ends with a
 * paragraph {@code #render-check} and a small script that, once the page has loaded, records in that
 * paragraph how many images decoded and how many SVG plots have a non-empty box (attributes
 * {@code data-images}, {@code data-images-rendered}, {@code data-plots}, {@code data-plots-rendered},
 * {@code data-failed}, {@code data-done}). The page reads the same without the script; the script
 * only lets a headless browser confirm that everything rendered.
 */
public final class HtmlPage {
    /** Id of the paragraph the render check writes to. */
    public static final String RENDER_CHECK_ID = "render-check";

    static final String CSS = "body{font-family:sans-serif;margin:2em auto;max-width:80em;padding:0 1em;color:#222}"
            + "h1{margin-bottom:.2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}"
            + "table{border-collapse:collapse;margin:.8em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}"
            + "th{background:#f4f4f4}.wide{overflow-x:auto}.nowrap{white-space:nowrap}"
            + ".hash{font-family:monospace;font-size:.75em;word-break:break-all;min-width:12em;max-width:17em}"
            + ".note{color:#666;font-size:.9em}.plots{display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start}"
            + ".mono{font-family:monospace;font-size:.85em}pre{background:#f8f8f8;padding:.6em;overflow-x:auto}"
            + "table.gallery td{text-align:center}table.gallery td:first-child{text-align:left}"
            + "table.gallery img{width:192px;height:auto;display:block;margin:0 auto}"
            + "table.gallery .caption{font-size:.8em;color:#444;max-width:192px;margin:.2em auto 0}";

    /** The render check (plain ES5, no network, touches nothing but the render-check paragraph). */
    public static final String RENDER_CHECK_SCRIPT = "(function(){function check(){"
            + "var out=document.getElementById('" + RENDER_CHECK_ID + "');if(!out){return;}"
            + "var imgs=document.images,failed=[],okImgs=0;"
            + "for(var i=0;i<imgs.length;i++){if(imgs[i].complete&&imgs[i].naturalWidth>0){okImgs++;}"
            + "else{failed.push('image: '+(imgs[i].alt||i));}}"
            + "var svgs=document.getElementsByTagName('svg'),okSvgs=0;"
            + "for(var j=0;j<svgs.length;j++){var r=svgs[j].getBoundingClientRect(),b=svgs[j].getBBox();"
            + "if(r.width>0&&r.height>0&&b.width>0&&b.height>0){okSvgs++;}"
            + "else{failed.push('plot: '+(svgs[j].getAttribute('aria-label')||j));}}"
            + "out.setAttribute('data-images',imgs.length);out.setAttribute('data-images-rendered',okImgs);"
            + "out.setAttribute('data-plots',svgs.length);out.setAttribute('data-plots-rendered',okSvgs);"
            + "out.setAttribute('data-failed',failed.join(' | '));out.setAttribute('data-done','true');"
            + "out.textContent='Render check in this browser: '+okImgs+' of '+imgs.length+' images decoded, '"
            + "+okSvgs+' of '+svgs.length+' plots drawn'+(failed.length?'; not rendered: '+failed.join(', '):'.');}"
            + "if(document.readyState==='complete'){check();}else{window.addEventListener('load',check);}})();";

    private HtmlPage() {
    }

    /** A whole page around {@code body} (HTML, already escaped) with the render check at its end. */
    public static String document(String title, String body) {
        return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + Svg.esc(title) + "</title><style>"
                + CSS + "</style></head><body>\n" + body + "\n<p id=\"" + RENDER_CHECK_ID + "\" class=\"note\">"
                + "Render check: needs JavaScript (the report itself does not).</p>\n<script>" + RENDER_CHECK_SCRIPT
                + "</script>\n</body></html>\n";
    }

    /** An {@code <img>} showing PNG bytes from a data: URI. */
    public static String png(byte[] png, String alt) {
        return "<img alt=\"" + Svg.esc(alt) + "\" src=\"data:image/png;base64," + Base64.getEncoder().encodeToString(png) + "\">";
    }

    /** Text escaped for HTML. */
    public static String esc(String s) {
        return Svg.esc(s);
    }
}

/**
 * The chat panel's stylesheet, inside the shadow root beside the launcher's. Colours come from
 * custom properties the loader sets from the accent: --a accent, --t text on the accent,
 * --k the accent as ink on white (or near-black when the accent is too light). Every text
 * colour here is ≥ 4.5:1 on its background. Sizes are in px: the host page's rem is not ours.
 */
export const PANEL_CSS = `
.b{position:relative}
.n{position:absolute;top:-4px;right:-4px;min-width:22px;padding:0 6px;border-radius:11px;background:#c92a2a;color:#fff;font:700 12px/22px system-ui,sans-serif;text-align:center}
.p{position:fixed;z-index:2147483001;bottom:92px;right:20px;width:370px;max-width:calc(100vw - 40px);height:min(620px,calc(100vh - 120px));display:flex;flex-direction:column;background:#fff;color:#1a1a1a;border-radius:16px;box-shadow:0 12px 40px rgba(0,0,0,.28);overflow:hidden;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;text-align:left;letter-spacing:normal;word-spacing:normal;text-transform:none}
.p.bl{right:auto;left:20px}
.hd{display:flex;align-items:center;gap:10px;padding:12px 10px 12px 16px;background:var(--a);color:var(--t)}
.hd h2{flex:1;margin:0;font-size:16px;font-weight:600;line-height:1.3;color:inherit;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.ht{flex:1;min-width:0}
.hd .hr{margin:2px 0 0;font-size:12px;line-height:1.3}
.hd :focus-visible{outline-color:var(--t)}
.avs{display:flex}
.av{width:34px;height:34px;margin-left:-10px;border:2px solid var(--a);border-radius:50%;background:#e9ecef;color:#1a1a1a;display:grid;place-items:center;font-size:12px;font-weight:700;overflow:hidden}
.av:first-child{margin-left:0}
.av img{width:100%;height:100%;object-fit:cover}
.lg{max-height:30px;max-width:90px}
.cl{margin:0;padding:6px;border:0;border-radius:8px;background:transparent;color:inherit;cursor:pointer;display:grid;place-items:center}
.cl svg,.sd svg{width:22px;height:22px;fill:currentColor}
.log{flex:1;overflow-y:auto;padding:16px;display:flex;flex-direction:column;gap:8px;background:#fff}
.in{margin:0 0 4px;color:#495057}
.m{max-width:85%;margin:0;padding:9px 13px;border-radius:16px;white-space:pre-wrap;overflow-wrap:anywhere}
.m.bot,.m.agent{align-self:flex-start;background:#f1f3f5;color:#1a1a1a;border-bottom-left-radius:4px}
.m.visitor{align-self:flex-end;background:var(--a);color:var(--t);border-bottom-right-radius:4px}
.m.system{align-self:center;max-width:100%;padding:2px 8px;background:none;color:#495057;font-size:13px;text-align:center}
.m a{color:#174ea6;text-decoration:underline}
.m.visitor a{color:inherit}
.m img{display:block;max-width:100%;margin:2px 0;border-radius:10px}
.st{align-self:flex-end;margin:-4px 2px 0;font-size:12px;color:#495057}
.st.er{color:#b02a37}
.st button,.rl{margin:0 0 0 4px;padding:0;border:0;background:none;color:#174ea6;font:inherit;font-weight:600;text-decoration:underline;cursor:pointer}
.ty{display:flex;gap:4px;align-items:center;margin:0 16px 8px;padding:10px 12px;width:max-content;border-radius:14px;background:#f1f3f5}
.ty i{width:7px;height:7px;border-radius:50%;background:#495057;animation:pb 1.2s infinite ease-in-out}
.ty i:nth-child(2){animation-delay:.15s}.ty i:nth-child(3){animation-delay:.3s}
@keyframes pb{0%,80%,100%{opacity:.3}40%{opacity:1}}
@media (prefers-reduced-motion:reduce){.ty i{animation:none}}
.qr{display:flex;flex-wrap:wrap;justify-content:flex-end;gap:8px;padding:0 16px 10px}
.q{margin:0;padding:7px 14px;border:2px solid var(--k);border-radius:18px;background:#fff;color:var(--k);font:inherit;cursor:pointer}
.q:hover{background:#f1f3f5}
.q:disabled,.sd:disabled{cursor:default}
.qr fieldset{width:100%;margin:0;padding:0;border:0;display:flex;flex-direction:column;gap:6px}
.qr legend{margin:0 0 4px;padding:0;font-size:13px;color:#495057}
.qr label{display:flex;gap:8px;align-items:center;cursor:pointer}
.qr input{width:18px;height:18px;margin:0;accent-color:var(--k)}
.qr fieldset .q{align-self:flex-end;margin-top:4px}
.cp{display:flex;gap:8px;margin:0;padding:10px 12px;border-top:1px solid #dee2e6}
.cp input,.aw input,.aw textarea,.rc textarea{flex:1;min-width:0;margin:0;padding:9px 12px;border:1px solid #767676;border-radius:10px;background:#fff;color:#1a1a1a;font-size:16px;line-height:1.4;font-family:inherit}
.cp input::placeholder,.aw ::placeholder{color:#6c757d;opacity:1}
.at{margin:0;padding:0 4px;border:0;border-radius:10px;background:none;color:var(--k);cursor:pointer;display:grid;place-items:center}
.at[hidden]{display:none}
.at svg{width:22px;height:22px;fill:currentColor}
.at:disabled{opacity:.5;cursor:default}
.af{display:block;margin-top:4px}
.af img{max-width:160px;max-height:160px}
.sd{margin:0;padding:0 14px;border:0;border-radius:10px;background:var(--a);color:var(--t);font:inherit;font-weight:600;cursor:pointer;display:grid;place-items:center}
.sd:disabled,.sd[aria-disabled=true]{background:#e9ecef;color:#495057}
.pb{margin:0;padding:0 0 8px;text-align:center;font-size:12px;color:#495057}
.aw{flex:1;overflow-y:auto;padding:16px;display:flex;flex-direction:column;gap:12px}
.aw p{margin:0}
.ce{overflow-wrap:anywhere}
.ce a{color:#174ea6}
.aw form{display:flex;flex-direction:column;gap:6px}
.aw label,.rc label{font-size:14px;font-weight:600;margin-top:6px}
.aw textarea{min-height:96px}
.aw textarea,.rc textarea{resize:vertical}
.aw .sd,.rc .sd{align-self:flex-end;padding:10px 16px;margin-top:8px}
.fe{margin:0;font-size:13px;color:#b02a37}
.rt{display:flex;flex-direction:column;gap:8px;margin-top:4px;padding:12px;border-radius:12px;background:#f1f3f5;color:#1a1a1a}
.rt p{margin:0}
.rq{font-weight:600}
.rt form{display:flex;flex-direction:column;gap:8px}
.rs{display:flex;gap:6px}
.rb{flex:1;min-width:0;margin:0;padding:6px 2px;border:2px solid #767676;border-radius:10px;background:#fff;color:#1a1a1a;font-size:12px;line-height:1.25;font-family:inherit;cursor:pointer;display:flex;flex-direction:column;align-items:center;gap:2px;overflow-wrap:anywhere}
.rb[aria-pressed=true]{border-color:var(--k);background:var(--a);color:var(--t)}
.rf{font-size:22px;line-height:1}
.rc{display:flex;flex-direction:column;gap:6px}
.rc[hidden]{display:none}
.ro{font-weight:400;color:#495057}
.rc textarea{min-height:64px}
.sr{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}
@media (max-width:480px){.p{inset:0;width:100%;max-width:none;height:100%;border-radius:0}}
`;

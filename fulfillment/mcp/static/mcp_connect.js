// The MCP connect page's "try it": one JSON-RPC call through the real endpoint.
document.getElementById("try-run").addEventListener("click", async (e) => {
  const out = document.getElementById("try-result");
  const res = await fetch(e.target.dataset.url, {method: "POST", headers: {
    "Content-Type": "application/json",
    "X-CSRF-Token": document.querySelector('meta[name="csrf-token"]').content},
    body: JSON.stringify({tool: document.getElementById("try-tool").value})});
  out.textContent = JSON.stringify(await res.json(), null, 2);
});

/* Print buttons (no inline script: the panel's Content-Security-Policy forbids it). */
document.querySelectorAll("[data-print]").forEach(b => b.addEventListener("click", () => window.print()));

// kycemu hosted pages: the selfie widget takes a picture with the camera
// (or lets the person choose a file) and hands it to the form's file input,
// so the form posts it like any upload. Pages work without this script.
(function () {
  "use strict";
  document.querySelectorAll("[data-selfie]").forEach(function (box) {
    var start = box.querySelector("[data-selfie-start]"), take = box.querySelector("[data-selfie-take]");
    var video = box.querySelector("[data-selfie-video]"), preview = box.querySelector("[data-selfie-preview]");
    var input = box.querySelector("input[type=file]"), status = box.querySelector("[data-selfie-status]");
    var stream = null;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || typeof DataTransfer === "undefined") {
      start.hidden = true;
      return;
    }
    var stop = function () {
      if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
      stream = null;
      video.hidden = true;
    };
    start.addEventListener("click", function () {
      status.textContent = "Opening the camera…";
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "user" }, audio: false }).then(function (s) {
        stream = s;
        video.srcObject = s;
        video.hidden = false;
        return video.play();
      }).then(function () {
        take.hidden = false;
        status.textContent = "The camera is on. Take the selfie when you are ready.";
        take.focus();
      }).catch(function () {
        stop();
        status.textContent = "The camera could not be opened; choose a picture instead.";
      });
    });
    take.addEventListener("click", function () {
      var canvas = document.createElement("canvas");
      canvas.width = video.videoWidth || 640;
      canvas.height = video.videoHeight || 480;
      canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
      canvas.toBlob(function (blob) {
        var dt = new DataTransfer();
        dt.items.add(new File([blob], "selfie.jpg", { type: "image/jpeg" }));
        input.files = dt.files;
        input.dispatchEvent(new Event("change", { bubbles: true }));
        preview.src = URL.createObjectURL(blob);
        preview.hidden = false;
        take.hidden = true;
        stop();
        status.textContent = "Selfie taken.";
      }, "image/jpeg", 0.9);
    });
    input.addEventListener("change", function () {
      if (input.files.length && status.textContent !== "Selfie taken.") status.textContent = "Picture chosen: " + input.files[0].name;
    });
  });
})();

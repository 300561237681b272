"""The :class:`Integration` base class every autologging plugin subclasses.

An integration names its framework, the versions it supports, and patches
the framework in :meth:`Integration.patch` using :meth:`Integration.wrap`
(every wrap is undone by :meth:`Integration.unpatch`). A complete plugin for
an imaginary framework ``toyml`` (see also the package docstring)::

    from mltrail.autologging import AutologCall, Integration

    class ToyIntegration(Integration):
        name = "toy"                 # mltrail.toy, mltrail.autolog(...) key
        framework = "toyml"          # the module patched (import name)
        min_version, max_version = "1.0", "2"
        config_defaults = {"log_loss_curve": True}   # extras beside the shared options

        def patch(self, toyml) -> None:
            self.wrap(toyml.Model, "train", self._log_train)

        def _log_train(self, call: AutologCall) -> None:
            call.log_params(call.kwargs)
            model = call.call_original()
            call.log_metrics({"loss": model.loss})

    integration = ToyIntegration()

    def autolog(**config) -> None:
        integration.autolog(**config)

Enabling is lazy and import-order independent: when the framework is not
imported yet, a post-import hook patches it the moment it is.
"""

from __future__ import annotations

import sys
import threading
from types import FrameType, MappingProxyType
from typing import Any, Callable, ClassVar, Mapping, Optional

from ._calls import AutologCall
from ._scope import _current, suppressed
from ._config import SHARED_DEFAULTS, AutologConfig, resolve_config
from ._patching import PatchSet
from ._reporting import describe_error, warn_once
from ._versions import installed_version, is_supported

Hook = Callable[[AutologCall], Any]


class Integration:
    """Base class of an autologging integration (one per framework).

    Class attributes to set: ``name``, ``framework`` (import name),
    ``distribution`` (for the version lookup; defaults to ``framework``),
    ``min_version`` / ``max_version`` (the tested range, inclusive; None = open),
    ``config_defaults`` (extra options and their defaults).
    Methods to implement: :meth:`patch` (and :meth:`unpatch` when ``patch``
    did more than :meth:`wrap` / :meth:`replace`).
    """

    name: ClassVar[str] = ""
    framework: ClassVar[str] = ""
    distribution: ClassVar[Optional[str]] = None
    min_version: ClassVar[Optional[str]] = None
    max_version: ClassVar[Optional[str]] = None
    config_defaults: ClassVar[Mapping[str, Any]] = MappingProxyType({})
    #: Module-name prefixes (``("sklearn.",)``) of library code whose calls into patched methods are not
    #: the user's training: such a call runs unlogged, with autologging suppressed inside it (rule 8).
    #: A call a library method makes on its own instance (a mixin's ``fit_predict`` calling
    #: ``self.fit``) still counts as the user's.
    library_callers: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        if not self.name or not self.framework:
            raise TypeError(f"{type(self).__name__} must set the class attributes 'name' and 'framework'")
        self._lock = threading.RLock()
        self._patches = PatchSet()
        self._defaults = AutologConfig({**SHARED_DEFAULTS, **self.config_defaults})
        self._config = AutologConfig({**self._defaults, "disable": True})
        self._wanted = False  # autolog() asked for it and did not disable since
        self._patched = False
        self._hook_registered = False
        #: True after the integration's own autolog(); mltrail.autolog() then leaves its config alone.
        self.configured_explicitly = False

    # -- public state -------------------------------------------------------------
    @property
    def defaults(self) -> AutologConfig:
        """Every option this integration accepts with its default."""
        return self._defaults

    @property
    def config(self) -> AutologConfig:
        """The configuration in force (``disable=True`` until autolog() is called)."""
        return self._config

    @property
    def enabled(self) -> bool:
        """True between ``autolog()`` and ``autolog(disable=True)``."""
        return self._wanted

    @property
    def patched(self) -> bool:
        """True while the framework is patched (it may be enabled but not imported yet)."""
        return self._patched

    # -- configuration ----------------------------------------------------------------
    def autolog(self, **config: Any) -> None:
        """Enable (or reconfigure, or with ``disable=True`` undo) autologging for this framework.

        Overrides what ``mltrail.autolog()`` set for this framework.

            mltrail.sklearn.integration.autolog(log_models=False)
        """
        self.configure(config, explicit=True)

    def configure(self, config: Mapping[str, Any], explicit: bool) -> None:
        """Apply ``config`` (validated against :attr:`defaults`); used by ``autolog`` functions."""
        resolved = resolve_config(self.name, self._defaults, config)
        with self._lock:
            self.configured_explicitly = explicit and not resolved.disable
            self._config = resolved
            if resolved.disable:
                self._disable()
            else:
                self._enable()

    def _enable(self) -> None:
        self._wanted = True
        if self._patched:
            return
        module = sys.modules.get(self.framework)
        if module is not None:
            self._patch_now(module)
        elif not self._hook_registered:
            import wrapt

            self._hook_registered = True
            wrapt.register_post_import_hook(self._on_import, self.framework)

    def _disable(self) -> None:
        self._wanted = False
        if self._patched:
            self._patched = False
            try:
                self.unpatch()
            except Exception as exc:
                warn_once(f"mltrail autologging ({self.name}): could not undo every patch: {describe_error(exc)}")

    def _on_import(self, module: Any) -> None:
        with self._lock:
            if self._wanted and not self._patched:
                self._patch_now(module)

    def _patch_now(self, module: Any) -> None:
        version = installed_version(self.distribution or self.framework, module)
        if version is not None and not is_supported(version, self.min_version, self.max_version):
            disable = bool(self._config.disable_for_unsupported_versions)
            warn_once(
                f"mltrail autologging ({self.name}) is tested with {self.distribution or self.framework} "
                f"{self.min_version or 'any'} to {self.max_version or 'latest'}, but {version} is installed"
                + ("; autologging stays off (disable_for_unsupported_versions=True)." if disable
                   else "; it may not work."),
                silent=bool(self._config.silent),
            )
            if disable:
                return
        self._patched = True
        try:
            self.patch(module)
        except Exception as exc:
            self._patched = False
            self._patches.restore()
            warn_once(
                f"mltrail autologging ({self.name}) could not patch {self.framework} and stays off: "
                f"{describe_error(exc)}",
                silent=bool(self._config.silent),
            )

    # -- what subclasses implement -----------------------------------------------------------
    def patch(self, module: Any) -> None:
        """Patch the imported framework ``module`` (use :meth:`wrap` / :meth:`replace`)."""
        raise NotImplementedError(f"{type(self).__name__}.patch")

    def unpatch(self) -> None:
        """Undo every :meth:`wrap` / :meth:`replace`, restoring the exact original objects.

        Subclasses that keep other state extend this and call ``super().unpatch()``.
        """
        self._patches.restore()

    # -- patching tools ------------------------------------------------------------------------
    def wrap(self, owner: Any, attribute: str, hook: Hook) -> bool:
        """Route calls of ``owner.attribute`` (a function or method defined there) through ``hook``.

        ``hook(call)`` runs for the outermost call only, with the runtime
        rules applied (see :class:`AutologCall`); inner calls, and calls made
        while this integration is disabled, go straight to the original.
        Returns False when already wrapped or when ``attribute`` is not
        defined in ``owner`` itself.
        """
        return self._patches.wrap(owner, attribute, self.make_wrapper(hook))

    def wrap_plain(
        self, owner: Any, attribute: str, wrapper: Callable[[Callable[..., Any], Any, tuple, dict], Any]
    ) -> bool:
        """Wrap ``owner.attribute`` with a bare wrapt ``wrapper(wrapped, instance, args, kwargs)``.

        No run, no guard, no error handling: for light observers (tracking
        predictions for post-training metrics) that must catch their own
        errors and return the original's result. Undone by :meth:`unpatch`.
        """
        return self._patches.wrap(owner, attribute, wrapper)

    def replace(self, owner: Any, attribute: str, value: Any) -> bool:
        """Set ``owner.attribute = value``, restored exactly by :meth:`unpatch`."""
        return self._patches.replace(owner, attribute, value)

    def is_wrapped(self, owner: Any, attribute: str) -> bool:
        """True while ``owner.attribute`` is patched by this integration."""
        return self._patches.is_patched(owner, attribute)

    def skip_call(self, instance: Any, caller: Optional[FrameType]) -> bool:
        """True when an outermost patched call is not the user's training and must not be logged.

        ``caller`` is the frame that called the patched method. The default
        skips calls made from :attr:`library_callers` code on another object;
        subclasses extend it (sklearn skips transformers unless asked for them).
        The call then runs with autologging suppressed inside it.
        """
        prefixes = self.library_callers
        if not prefixes or caller is None:
            return False
        module = caller.f_globals.get("__name__") or ""
        if not module.startswith(prefixes):
            return False
        return caller.f_locals.get("self") is not instance or instance is None

    def make_wrapper(self, hook: Hook) -> Callable[[Callable[..., Any], Any, tuple, dict], Any]:
        """A ``wrapt`` wrapper function applying the runtime rules around ``hook``.

        Use it to wrap objects yourself (``wrapt.FunctionWrapper(fn, integration.make_wrapper(hook))``)
        when :meth:`wrap` does not fit; you then undo that yourself in :meth:`unpatch`.
        """
        integration = self

        def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple, kwargs: dict) -> Any:
            config = integration._config
            if config.disable or _current.get() is not None:
                return wrapped(*args, **kwargs)
            if integration.skip_call(instance, _caller_frame()):
                with suppressed():
                    return wrapped(*args, **kwargs)
            return AutologCall(integration, config, wrapped, instance, args, kwargs)._execute(hook)

        return wrapper

    def warn(self, message: str) -> None:
        """Warn once on logger ``mltrail.autologging`` (quiet with ``silent=True``)."""
        warn_once(f"mltrail autologging ({self.name}): {message}", silent=bool(self._config.silent))

    def __repr__(self) -> str:
        state = "patched" if self._patched else ("waiting for import" if self._wanted else "off")
        return f"<{type(self).__name__} {self.name!r} ({self.framework}) {state}>"


# mutmut leaves this function as it is: a mutant would run behind its trampoline, one frame deeper.
def _caller_frame() -> Optional[FrameType]:  # pragma: no mutate block
    """The frame that called a patched method (from inside its wrapper; wrapt's own frames skipped)."""
    frame = sys._getframe(2)
    while frame is not None and (frame.f_globals.get("__name__") or "").startswith("wrapt"):
        frame = frame.f_back
    return frame

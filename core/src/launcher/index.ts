export { launch, ProcessLauncher, type LaunchedProcess, type LaunchOptions, type LauncherOptions } from './launcher.js';

// The Nurture extension's client: it starts `nurture lsp` over stdio and lets
// vscode-languageclient carry diagnostics, hover, completion, rename and formatting.
import * as vscode from 'vscode';
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
} from 'vscode-languageclient/node';

let client: LanguageClient | undefined;

function serverOptions(): ServerOptions {
  const command = vscode.workspace.getConfiguration('nurture').get<string>('path') || 'nurture';
  return {
    command,
    args: ['lsp'],
    transport: TransportKind.stdio,
  };
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'nurture' },
      { scheme: 'untitled', language: 'nurture' },
    ],
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher('**/*.nurture'),
    },
  };
  client = new LanguageClient('nurture', 'Nurture', serverOptions(), clientOptions);
  try {
    await client.start();
  } catch (err) {
    // A missing binary is the usual cause: say what to set instead of failing silently.
    const path = vscode.workspace.getConfiguration('nurture').get<string>('path');
    void vscode.window.showErrorMessage(
      `Nurture: could not start "${path} lsp" (${String(err)}). ` +
        'Install nurture or set "nurture.path" to the program.',
    );
  }
  context.subscriptions.push({ dispose: () => void client?.stop() });
}

async function restart(context: vscode.ExtensionContext): Promise<void> {
  if (client) {
    await client.stop();
    client = undefined;
  }
  await start(context);
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.commands.registerCommand('nurture.restartServer', () => restart(context)),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('nurture.path')) {
        void restart(context);
      }
    }),
  );
  await start(context);
}

export async function deactivate(): Promise<void> {
  if (client) {
    await client.stop();
  }
}
